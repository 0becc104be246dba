// See lib/faults.libsonnet and docs/reliability.md.
local f = import 'lib/faults.libsonnet';

f.revoked(200, token_down_s=1.0)
