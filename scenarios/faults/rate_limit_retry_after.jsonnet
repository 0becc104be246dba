// See lib/faults.libsonnet and docs/reliability.md.
local f = import 'lib/faults.libsonnet';

f.rate_limited(25, true)
