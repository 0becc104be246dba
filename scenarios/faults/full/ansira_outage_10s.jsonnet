// The long version for `make reliability`; see ../lib/faults.libsonnet and docs/reliability.md.
local f = import '../lib/faults.libsonnet';

f.outage(2000, 10, after_s=1.0) { name+: '_full' }
