// A template with the mistakes `harness template check` is built to catch (see docs/templates.md).
local event = (import 'lytemplates.libsonnet');

assert event.isEnter() : 'only audience entries are enriched';

{
  email: event.get('email_address'),
  firstName: event.get('first_name'),
  sourceCode: { keyName: 'ITSP20151' },
  address: { postalCode: std.asciiUpper(event.get('postal_code')) },
}
