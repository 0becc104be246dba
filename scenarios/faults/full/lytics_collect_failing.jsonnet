// The long version for `make reliability`; see ../lib/faults.libsonnet and docs/reliability.md.
local f = import '../lib/faults.libsonnet';

f.collect_failing(1000, seconds=10) { name+: '_full' }
