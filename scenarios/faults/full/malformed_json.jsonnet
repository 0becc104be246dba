// The long version for `make reliability`; see ../lib/faults.libsonnet and docs/reliability.md.
local f = import '../lib/faults.libsonnet';

f.malformed(1000) { name+: '_full' }
