// The seed template, hardened: omit profiles Ansira would reject instead of sending them,
// and take the sourceCode keyName from the job config (falling back to a default).
local event = (import 'lytemplates.libsonnet');
local email = std.asciiLower(std.stripChars(event.get('email', ''), ' '));

assert std.length(std.findSubstr('@', email)) == 1 && !std.member(email, '<') : 'no usable email';

{
  email: email,
  sourceCode: { keyName: event.jobConfGet('source_code', 'ITSP201511') },
  [if event.has('first_name') then 'firstName']: event.get('first_name'),
}
