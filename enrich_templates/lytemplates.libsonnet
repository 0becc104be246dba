// lytemplates.libsonnet: the simulator's own version of Lytics' jsonnet template library
// (semantics from docs.lytics.com "Using the jsonnet library"; the Lytics source is not public).
//
//   local event = (import 'lytemplates.libsonnet');
//   { email: event.get('email', '') }
//
// Layout rule (the engine relies on it): every definition is a top-level `local` starting at column 0, and the
// file ends with the member object starting with a `{` at column 0. go-jsonnet re-parses the library on every
// evaluation and parsing dominates the render cost, so the engine serves each template only the definitions
// its source names (plus what they use). Members are hidden (::), so the object itself renders as {}.
//
// Inputs arrive as JSON text in ext vars: ly_entity (the exported fields plus segment_events, with dotted
// paths into map fields added by the engine), ly_job_config and ly_auth_config.
// A field holding null counts as absent everywhere.

local _fields = std.parseJson(std.extVar('ly_entity'));

local _jobConf = std.parseJson(std.extVar('ly_job_config'));

local _authConf = std.parseJson(std.extVar('ly_auth_config'));

// Every profile-field read goes through _lookup. When the engine records reads (trace=True) it serves
// _lookup_traced under the name _lookup, so the untraced hot path has no tracing branch and no Python callback.
local _lookup(field) = if field in _fields then _fields[field];

local _lookup_traced(field) = if std.native('ly_field_read')(field) && field in _fields then _fields[field];

local _evField(ev, key) = if std.isObject(ev) then std.get(ev, key, null) else null;

local _events =
  local evs = std.get(_fields, 'segment_events', []);
  if std.isArray(evs) then std.filter(std.isObject, evs) else [];

local _sha(hash, obj) = hash(if std.isString(obj) then obj else std.toString(obj));

local _isHex(obj, n) =
  std.isString(obj) && std.length(obj) == n
  && std.all([std.member('0123456789abcdef', c) for c in std.stringChars(obj)]);

// get('email', '') -> the field's value, or the default when it is missing or null.
// A dotted name reaches into map fields: get('address.city') is entity.address.city, unless the entity has a
// top-level field literally named 'address.city' (that one wins).
local get(field, def=null) =
  local v = _lookup(field);
  if v != null then v else def;

local has(field) = _lookup(field) != null;

local jobConfGet(key, def=null) =
  local v = if std.isObject(_jobConf) then std.get(_jobConf, key, null) else null;
  if v == null then def else v;

// The job config names the profile field: {"email_field": "work_email"} -> get('work_email', def).
local profileFieldFromConfig(cfgField, def=null) =
  local name = jobConfGet(cfgField);
  if std.isString(name) then get(name, def) else def;

local validatedEnum(field, opts, def) =
  local v = jobConfGet(field);
  if v != null && std.member(opts, v) then v else def;

// Mirrors the JS library's getOAuth2AccessToken(): auth_config.oauth2_token.access_token, else null.
local getOAuth2AccessToken() =
  local token = if std.isObject(_authConf) then std.get(_authConf, 'oauth2_token', null) else null;
  if std.isObject(token) then std.get(token, 'access_token', null) else null;

local segEvents() = _events;

local slugForEvent(ev) = local s = _evField(ev, 'slug'); if std.isString(s) then s else '';

local idForEvent(ev) = local s = _evField(ev, 'id'); if std.isString(s) then s else '';

local segEvIsEnter(ev) = _evField(ev, 'event') == 'enter';

local segEvIsExit(ev) = _evField(ev, 'event') == 'exit';

// A segment_event matching by id or slug, or the profile's own _segments / segments list when exported.
local inSeg(id) =
  local lists = [std.get(_fields, key, null) for key in ['_segments', 'segments']];
  std.any([_evField(ev, 'id') == id || _evField(ev, 'slug') == id for ev in _events])
  || std.member(std.flattenArrays([l for l in lists if std.isArray(l)]), id);

local isEnter() = std.any([segEvIsEnter(ev) for ev in _events]);

local isExit() = std.any([segEvIsExit(ev) for ev in _events]);

// The slug of every trigger event, concatenated ('' when there is none), as the JS library does.
local segSlug() = std.join('', [slugForEvent(ev) for ev in _events]);

// Hashes are lowercase hex; a non-string is hashed as std.toString(obj) (numbers '12', objects as JSON).
local sha256(obj) = _sha(std.sha256, obj);

local sha1(obj) = _sha(std.sha1, obj);

local isValidSha256(obj) = _isHex(obj, 64);

local isValidSha1(obj) = _isHex(obj, 40);

local notNull(val, def) = if val == null then def else val;

local enum(value, options, default) = if std.member(options, value) then value else default;

{
  get:: get,
  has:: has,
  jobConfGet:: jobConfGet,
  profileFieldFromConfig:: profileFieldFromConfig,
  validatedEnum:: validatedEnum,
  getOAuth2AccessToken:: getOAuth2AccessToken,
  inSeg:: inSeg,
  isEnter:: isEnter,
  isExit:: isExit,
  segSlug:: segSlug,
  segEvents:: segEvents,
  slugForEvent:: slugForEvent,
  idForEvent:: idForEvent,
  segEvIsEnter:: segEvIsEnter,
  segEvIsExit:: segEvIsExit,
  sha256:: sha256,
  sha1:: sha1,
  isValidSha256:: isValidSha256,
  isValidSha1:: isValidSha1,
  notNull:: notNull,
  enum:: enum,
}
