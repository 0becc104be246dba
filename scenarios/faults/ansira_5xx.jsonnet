// See lib/faults.libsonnet and docs/reliability.md.
local f = import 'lib/faults.libsonnet';

f.server_errors(200)
