// The long version for `make reliability`; see ../lib/faults.libsonnet and docs/reliability.md.
local f = import '../lib/faults.libsonnet';

f.token_down(500, seconds=8) { name+: '_full' }
