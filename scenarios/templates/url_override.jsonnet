// Overriding the request: ly_template_url / ly_template_headers / ly_template_body (see docs/templates.md).
local event = (import 'lytemplates.libsonnet');
{
  ly_template_url: 'https://profiles.example.com/service/api/v2/users?brand=' + event.jobConfGet('brand', 'PU'),
  ly_template_headers: { 'X-Lytics-Segment': event.segSlug() },
  ly_template_body: { email: event.get('email', ''), sourceCode: { keyName: 'ITSP201511' } },
}
