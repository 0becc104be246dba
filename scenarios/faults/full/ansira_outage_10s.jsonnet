// The long version for `make reliability`; see ../lib/faults.libsonnet and docs/reliability.md.
local f = import '../lib/faults.libsonnet';

f.outage(2000, 10) { name+: '_full' }
