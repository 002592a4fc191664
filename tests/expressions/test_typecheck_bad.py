"""A table of expressions APIM's C# compiler refuses, each refused when policies load with its
problem: kind ``expression``, the message, and the position in the policy file of the offending
name (or argument, initializer, closing brace). All of them sit in one policy document, which is
loaded once: every problem is reported at once."""

from __future__ import annotations

import pytest

from aiohttp_apim import PolicyError, Problem, load_policies
from aiohttp_apim.expressions import ExpressionSyntaxError
from aiohttp_apim.expressions.compiler import compile_program

TABLE = r"""
# context members
@(context.Reqest) | Reqest | 'IProxyRequestContext' does not contain a definition for 'Reqest'; did you mean 'Request'?
@(context.Respons.StatusCode) | Respons | 'IProxyRequestContext' does not contain a definition for 'Respons'; did you mean 'Response'?
@(context.Variable.Count) | Variable | 'IProxyRequestContext' does not contain a definition for 'Variable'; did you mean 'Variables'?
@(context.Elapsd.TotalSeconds) | Elapsd | 'IProxyRequestContext' does not contain a definition for 'Elapsd'; did you mean 'Elapsed'?
@(context.RequestID.ToString()) | RequestID | 'IProxyRequestContext' does not contain a definition for 'RequestID'; did you mean 'RequestId'?
@(context.TimeStamp.Year) | TimeStamp | 'IProxyRequestContext' does not contain a definition for 'TimeStamp'; did you mean 'Timestamp'?
@(context.Subscriptions.Id) | Subscriptions | 'IProxyRequestContext' does not contain a definition for 'Subscriptions'; did you mean 'Subscription'?
@(context.Users.Email) | Users | 'IProxyRequestContext' does not contain a definition for 'Users'; did you mean 'User'?
@(context.Products.Name) | Products | 'IProxyRequestContext' does not contain a definition for 'Products'; did you mean 'Product'?
@(context.Apis.Name) | Apis | 'IProxyRequestContext' does not contain a definition for 'Apis'; did you mean 'Api'?
@(context.Operations.Id) | Operations | 'IProxyRequestContext' does not contain a definition for 'Operations'; did you mean 'Operation'?
@(context.LastErrors.Message) | LastErrors | 'IProxyRequestContext' does not contain a definition for 'LastErrors'; did you mean 'LastError'?
@(context.Deploymnet.Region) | Deploymnet | 'IProxyRequestContext' does not contain a definition for 'Deploymnet'; did you mean 'Deployment'?
@(context.Workspaces.Id) | Workspaces | 'IProxyRequestContext' does not contain a definition for 'Workspaces'; did you mean 'Workspace'?
@(context.Tracng) | Tracng | 'IProxyRequestContext' does not contain a definition for 'Tracng'; did you mean 'Tracing'?
@(context.Foo) | Foo | 'IProxyRequestContext' does not contain a definition for 'Foo'
@(context.Request.Heders) | Heders | 'IRequest' does not contain a definition for 'Heders'; did you mean 'Headers'?
@(context.Request.Header) | Header | 'IRequest' does not contain a definition for 'Header'; did you mean 'Headers'?
@(context.Request.Boddy) | Boddy | 'IRequest' does not contain a definition for 'Boddy'; did you mean 'Body'?
@(context.Request.Methd) | Methd | 'IRequest' does not contain a definition for 'Methd'; did you mean 'Method'?
@(context.Request.IPAddress) | IPAddress | 'IRequest' does not contain a definition for 'IPAddress'; did you mean 'IpAddress'?
@(context.Request.MatchedParameter) | MatchedParameter | 'IRequest' does not contain a definition for 'MatchedParameter'; did you mean 'MatchedParameters'?
@(context.Request.OriginalUri) | OriginalUri | 'IRequest' does not contain a definition for 'OriginalUri'; did you mean 'OriginalUrl'?
@(context.Request.Uri) | Uri | 'IRequest' does not contain a definition for 'Uri'
@(context.Request.Certificat) | Certificat | 'IRequest' does not contain a definition for 'Certificat'; did you mean 'Certificate'?
@(context.Request.Query) | Query | 'IRequest' does not contain a definition for 'Query'
@(context.Request.Url.Hots) | Hots | 'IUrl' does not contain a definition for 'Hots'; did you mean 'Host'?
@(context.Request.Url.Pth) | Pth | 'IUrl' does not contain a definition for 'Pth'; did you mean 'Path'?
@(context.Request.Url.Qeury) | Qeury | 'IUrl' does not contain a definition for 'Qeury'; did you mean 'Query'?
@(context.Request.Url.QueryStrings) | QueryStrings | 'IUrl' does not contain a definition for 'QueryStrings'; did you mean 'QueryString'?
@(context.Request.Url.Schema) | Schema | 'IUrl' does not contain a definition for 'Schema'; did you mean 'Scheme'?
@(context.Request.Url.Prot) | Prot | 'IUrl' does not contain a definition for 'Prot'; did you mean 'Port'?
@(context.Request.OriginalUrl.Hostname) | Hostname | 'IUrl' does not contain a definition for 'Hostname'
@(context.Response.StatusCod) | StatusCod | 'IResponse' does not contain a definition for 'StatusCod'; did you mean 'StatusCode'?
@(context.Response.StatusReasons) | StatusReasons | 'IResponse' does not contain a definition for 'StatusReasons'; did you mean 'StatusReason'?
@(context.Response.Header) | Header | 'IResponse' does not contain a definition for 'Header'; did you mean 'Headers'?
@(context.Response.Status) | Status | 'IResponse' does not contain a definition for 'Status'; did you mean 'StatusCode'?
@(context.User.Emial) | Emial | 'IUser' does not contain a definition for 'Emial'; did you mean 'Email'?
@(context.User.FirstNam) | FirstNam | 'IUser' does not contain a definition for 'FirstNam'; did you mean 'FirstName'?
@(context.User.LastNme) | LastNme | 'IUser' does not contain a definition for 'LastNme'; did you mean 'LastName'?
@(context.User.Group) | Group | 'IUser' does not contain a definition for 'Group'; did you mean 'Groups'?
@(context.User.Identity) | Identity | 'IUser' does not contain a definition for 'Identity'; did you mean 'Identities'?
@(context.User.RegistrationDates) | RegistrationDates | 'IUser' does not contain a definition for 'RegistrationDates'; did you mean 'RegistrationDate'?
@(context.User.Notes) | Notes | 'IUser' does not contain a definition for 'Notes'; did you mean 'Note'?
@(context.Subscription.Kye) | Kye | 'ISubscription' does not contain a definition for 'Kye'
@(context.Subscription.PrimaryKy) | PrimaryKy | 'ISubscription' does not contain a definition for 'PrimaryKy'; did you mean 'PrimaryKey'?
@(context.Subscription.SecondKey) | SecondKey | 'ISubscription' does not contain a definition for 'SecondKey'; did you mean 'SecondaryKey'?
@(context.Subscription.CreateDate) | CreateDate | 'ISubscription' does not contain a definition for 'CreateDate'; did you mean 'CreatedDate'?
@(context.Subscription.StartDat) | StartDat | 'ISubscription' does not contain a definition for 'StartDat'; did you mean 'StartDate'?
@(context.Subscription.EndDates) | EndDates | 'ISubscription' does not contain a definition for 'EndDates'; did you mean 'EndDate'?
@(context.Product.Nme) | Nme | 'IProduct' does not contain a definition for 'Nme'; did you mean 'Name'?
@(context.Product.Api) | Api | 'IProduct' does not contain a definition for 'Api'; did you mean 'Apis'?
@(context.Product.States) | States | 'IProduct' does not contain a definition for 'States'; did you mean 'State'?
@(context.Product.SubscriptionLimits) | SubscriptionLimits | 'IProduct' does not contain a definition for 'SubscriptionLimits'; did you mean 'SubscriptionLimit'?
@(context.Product.ApprovalRequire) | ApprovalRequire | 'IProduct' does not contain a definition for 'ApprovalRequire'; did you mean 'ApprovalRequired'?
@(context.Api.Nmae) | Nmae | 'IApi' does not contain a definition for 'Nmae'; did you mean 'Name'?
@(context.Api.Pth) | Pth | 'IApi' does not contain a definition for 'Pth'; did you mean 'Path'?
@(context.Api.Versions) | Versions | 'IApi' does not contain a definition for 'Versions'; did you mean 'Version'?
@(context.Api.Revison) | Revison | 'IApi' does not contain a definition for 'Revison'; did you mean 'Revision'?
@(context.Api.ServiceUri) | ServiceUri | 'IApi' does not contain a definition for 'ServiceUri'; did you mean 'ServiceUrl'?
@(context.Api.IsCurrentRevison) | IsCurrentRevison | 'IApi' does not contain a definition for 'IsCurrentRevison'; did you mean 'IsCurrentRevision'?
@(context.Api.Protocol) | Protocol | 'IApi' does not contain a definition for 'Protocol'; did you mean 'Protocols'?
@(context.Api.SubscriptionKeyParameterNames.Headers) | Headers | 'ISubscriptionKeyParameterNames' does not contain a definition for 'Headers'; did you mean 'Header'?
@(context.Operation.UrlTempalte) | UrlTempalte | 'IOperation' does not contain a definition for 'UrlTempalte'; did you mean 'UrlTemplate'?
@(context.Operation.Methods) | Methods | 'IOperation' does not contain a definition for 'Methods'; did you mean 'Method'?
@(context.Operation.Nme) | Nme | 'IOperation' does not contain a definition for 'Nme'; did you mean 'Name'?
@(context.Deployment.Regoin) | Regoin | 'IDeployment' does not contain a definition for 'Regoin'; did you mean 'Region'?
@(context.Deployment.ServiceNam) | ServiceNam | 'IDeployment' does not contain a definition for 'ServiceNam'; did you mean 'ServiceName'?
@(context.Deployment.GatewayID) | GatewayID | 'IDeployment' does not contain a definition for 'GatewayID'; did you mean 'GatewayId'?
@(context.Deployment.Certificate) | Certificate | 'IDeployment' does not contain a definition for 'Certificate'; did you mean 'Certificates'?
@(context.Deployment.Gateway.InstanceID) | InstanceID | 'IGateway' does not contain a definition for 'InstanceID'; did you mean 'InstanceId'?
@(context.Deployment.Gateway.IsManage) | IsManage | 'IGateway' does not contain a definition for 'IsManage'; did you mean 'IsManaged'?
@(context.Workspace.Nme) | Nme | 'IWorkspace' does not contain a definition for 'Nme'; did you mean 'Name'?
@(context.LastError.Mesage) | Mesage | 'ILastError' does not contain a definition for 'Mesage'; did you mean 'Message'?
@(context.LastError.Reasons) | Reasons | 'ILastError' does not contain a definition for 'Reasons'; did you mean 'Reason'?
@(context.LastError.Sections) | Sections | 'ILastError' does not contain a definition for 'Sections'; did you mean 'Section'?
@(context.LastError.PolicyID) | PolicyID | 'ILastError' does not contain a definition for 'PolicyID'; did you mean 'PolicyId'?
@(context.Variables.ContainKey("x")) | ContainKey | 'Variables' does not contain a definition for 'ContainKey'; did you mean 'ContainsKey'?
@(context.Variables.GetValue("x")) | GetValue | 'Variables' does not contain a definition for 'GetValue'; did you mean 'TryGetValue'?
@(context.Variables.TryGetValues("x", out var v)) | TryGetValues | 'Variables' does not contain a definition for 'TryGetValues'; did you mean 'TryGetValue'?
@(context.Request.Headers.GetValueOrDefalt("a", "")) | GetValueOrDefalt | 'IReadOnlyDictionary' does not contain a definition for 'GetValueOrDefalt'; did you mean 'GetValueOrDefault'?
@(context.Request.Headers.Get("a")) | Get | 'IReadOnlyDictionary' does not contain a definition for 'Get'
@(context.Request.Headers.ContainsKeys("a")) | ContainsKeys | 'IReadOnlyDictionary' does not contain a definition for 'ContainsKeys'; did you mean 'ContainsKey'?
@(context.Request.Headers.Foo()) | Foo | 'IReadOnlyDictionary' does not contain a definition for 'Foo'
@(context.Request.MatchedParameters.GetValueOrDefalt("id", "")) | GetValueOrDefalt | 'IReadOnlyDictionary' does not contain a definition for 'GetValueOrDefalt'; did you mean 'GetValueOrDefault'?
@(context.Request.Url.Query.GetValueOrDefaults("q", "")) | GetValueOrDefaults | 'IReadOnlyDictionary' does not contain a definition for 'GetValueOrDefaults'; did you mean 'GetValueOrDefault'?
@(context.Request.Body.AsJson()) | AsJson | 'IMessageBody' does not contain a definition for 'AsJson'
@(context.Request.Body.Ass<string>()) | Ass | 'IMessageBody' does not contain a definition for 'Ass'; did you mean 'As'?
@(context.Response.Body.AsFormUrlEncoded()) | AsFormUrlEncoded | 'IMessageBody' does not contain a definition for 'AsFormUrlEncoded'; did you mean 'AsFormUrlEncodedContent'?
@(context.Tracing.Foo) | Foo | 'bool' does not contain a definition for 'Foo'
@(context.Elapsed.TotalSecond) | TotalSecond | 'TimeSpan' does not contain a definition for 'TotalSecond'; did you mean 'TotalSeconds'?
@(context.Timestamp.Yaer) | Yaer | 'DateTime' does not contain a definition for 'Yaer'; did you mean 'Year'?
@(context.RequestId.ToStrin()) | ToStrin | 'Guid' does not contain a definition for 'ToStrin'; did you mean 'ToString'?
@(context.Response.StatusCode.Foo) | Foo | 'int' does not contain a definition for 'Foo'
# casts
@(((string)context.Variables["x"]).Lenght) | Lenght | 'string' does not contain a definition for 'Lenght'; did you mean 'Length'?
@(((string)context.Variables["x"]).ToUpperr()) | ToUpperr | 'string' does not contain a definition for 'ToUpperr'; did you mean 'ToUpper'?
@(((string)context.Variables["x"]).Substr(1)) | Substr | 'string' does not contain a definition for 'Substr'; did you mean 'Substring'?
@(((string)context.Variables["x"]).Contain("a")) | Contain | 'string' does not contain a definition for 'Contain'; did you mean 'Contains'?
@(((int)context.Variables["n"]).Length) | Length | 'int' does not contain a definition for 'Length'
@(((int)context.Variables["n"]).Foo()) | Foo | 'int' does not contain a definition for 'Foo'
@(((long)context.Variables["n"]).ToStrings()) | ToStrings | 'long' does not contain a definition for 'ToStrings'; did you mean 'ToString'?
@(((double)context.Variables["n"]).Round()) | Round | 'double' does not contain a definition for 'Round'
@(((DateTime)context.Variables["d"]).Yera) | Yera | 'DateTime' does not contain a definition for 'Yera'; did you mean 'Year'?
@(((DateTime)context.Variables["d"]).AddDay(1)) | AddDay | 'DateTime' does not contain a definition for 'AddDay'; did you mean 'AddDays'?
@(((TimeSpan)context.Variables["t"]).TotalSecond) | TotalSecond | 'TimeSpan' does not contain a definition for 'TotalSecond'; did you mean 'TotalSeconds'?
@(((Guid)context.Variables["g"]).ToStrng()) | ToStrng | 'Guid' does not contain a definition for 'ToStrng'; did you mean 'ToString'?
@(((JObject)context.Variables["j"]).Propertys()) | Propertys | 'JObject' does not contain a definition for 'Propertys'; did you mean 'Property'?
@(((JObject)context.Variables["j"]).SelectToken("a").Foo) | Foo | 'JToken' does not contain a definition for 'Foo'
@(((JArray)context.Variables["j"]).Lenght) | Lenght | 'JArray' does not contain a definition for 'Lenght'
@(((JToken)context.Variables["j"]).Values<string>().Foo) | Foo | 'IEnumerable<string>' does not contain a definition for 'Foo'
@(((string[])context.Variables["a"]).Lenght) | Lenght | 'string[]' does not contain a definition for 'Lenght'; did you mean 'Length'?
@(((Jwt)context.Variables["t"]).Claim) | Claim | 'Jwt' does not contain a definition for 'Claim'; did you mean 'Claims'?
@(((Jwt)context.Variables["t"]).ExpirationTimes) | ExpirationTimes | 'Jwt' does not contain a definition for 'ExpirationTimes'; did you mean 'ExpirationTime'?
@(((XElement)context.Variables["x"]).Elemnt("a")) | Elemnt | 'XElement' does not contain a definition for 'Elemnt'; did you mean 'Element'?
@(((Uri)context.Variables["u"]).Hostt) | Hostt | 'Uri' does not contain a definition for 'Hostt'; did you mean 'Host'?
@((context.Variables["x"] as string).Lenght) | Lenght | 'string' does not contain a definition for 'Lenght'; did you mean 'Length'?
@((context.Variables["x"] as JObject).Foo) | Foo | 'JObject' does not contain a definition for 'Foo'
# var and typed locals
@{ var s = "a"; return s.Lenght; } | Lenght | 'string' does not contain a definition for 'Lenght'; did you mean 'Length'?
@{ var n = 5; return n.Length; } | Length | 'int' does not contain a definition for 'Length'
@{ var d = DateTime.UtcNow; return d.Yera; } | Yera | 'DateTime' does not contain a definition for 'Yera'; did you mean 'Year'?
@{ var h = context.Request.Headers; return h.Foo; } | Foo | 'IReadOnlyDictionary' does not contain a definition for 'Foo'
@{ var r = context.Request; return r.Heders; } | Heders | 'IRequest' does not contain a definition for 'Heders'; did you mean 'Headers'?
@{ var parts = "a,b".Split(','); return parts.Lenght; } | Lenght | 'string[]' does not contain a definition for 'Lenght'; did you mean 'Length'?
@{ string s = "a"; return s.Trimm(); } | Trimm | 'string' does not contain a definition for 'Trimm'; did you mean 'Trim'?
@{ int n = 1; return n.Foo; } | Foo | 'int' does not contain a definition for 'Foo'
@{ var list = new List<string>(); list.Ad("a"); return list.Count; } | Ad | 'List<string>' does not contain a definition for 'Ad'; did you mean 'Add'?
@{ var d = new Dictionary<string, int>(); return d.ContainsKy("a"); } | ContainsKy | 'Dictionary<string, int>' does not contain a definition for 'ContainsKy'; did you mean 'ContainsKey'?
@{ var sb = new StringBuilder(); sb.Appendd("a"); return sb.ToString(); } | Appendd | 'StringBuilder' does not contain a definition for 'Appendd'; did you mean 'Append'?
@{ var j = new JObject(); j.Ad("a", 1); return j.ToString(); } | Ad | 'JObject' does not contain a definition for 'Ad'; did you mean 'Add'?
@{ var g = Guid.NewGuid(); return g.Foo; } | Foo | 'Guid' does not contain a definition for 'Foo'
@{ var t = TimeSpan.FromSeconds(1); return t.TotalMilisecond; } | TotalMilisecond | 'TimeSpan' does not contain a definition for 'TotalMilisecond'; did you mean 'TotalMilliseconds'?
@{ var u = new Uri("http://a"); return u.Hots; } | Hots | 'Uri' does not contain a definition for 'Hots'; did you mean 'Host'?
@{ foreach (var c in "abc") { if (c.IsUpper) { return 1; } } return 0; } | IsUpper | 'char' does not contain a definition for 'IsUpper'
@{ foreach (string s in new[] { "a" }) { return s.Lenght; } return 0; } | Lenght | 'string' does not contain a definition for 'Lenght'; did you mean 'Length'?
@{ for (int i = 0; i < 2; i++) { return i.Foo; } return 0; } | Foo | 'int' does not contain a definition for 'Foo'
@{ try { return 1; } catch (Exception e) { return e.Mesage; } } | Mesage | 'Exception' does not contain a definition for 'Mesage'; did you mean 'Message'?
@(context.Variables["x"] is string s ? s.Lenght : 0) | Lenght | 'string' does not contain a definition for 'Lenght'; did you mean 'Length'?
# generic arguments
@(context.Request.Body.As<JObject>().Foo) | Foo | 'JObject' does not contain a definition for 'Foo'
@(context.Request.Body.As<string>().Lenght) | Lenght | 'string' does not contain a definition for 'Lenght'; did you mean 'Length'?
@(context.Request.Body.As<JArray>().Lenght) | Lenght | 'JArray' does not contain a definition for 'Lenght'
@(context.Request.Body.As<XDocument>().Foo) | Foo | 'XDocument' does not contain a definition for 'Foo'
@(context.Request.Body.As<byte[]>().Lenght) | Lenght | 'byte[]' does not contain a definition for 'Lenght'; did you mean 'Length'?
@(context.Response.Body.As<JObject>(preserveContent: true).Foo) | Foo | 'JObject' does not contain a definition for 'Foo'
@(context.Variables.GetValueOrDefault<int>("n").Foo) | Foo | 'int' does not contain a definition for 'Foo'
@(context.Variables.GetValueOrDefault<string>("s", "").Lenght) | Lenght | 'string' does not contain a definition for 'Lenght'; did you mean 'Length'?
@(context.Variables.GetValueOrDefault("s", "").Lenght) | Lenght | 'string' does not contain a definition for 'Lenght'; did you mean 'Length'?
@(context.Variables.GetValueOrDefault<DateTime>("d").Yera) | Yera | 'DateTime' does not contain a definition for 'Yera'; did you mean 'Year'?
@(JObject.Parse("{}").Value<string>("a").Lenght) | Lenght | 'string' does not contain a definition for 'Lenght'; did you mean 'Length'?
@(JObject.Parse("{}")["a"].Value<int>().Foo) | Foo | 'int' does not contain a definition for 'Foo'
@(JObject.Parse("{}").ToObject<Dictionary<string, string>>().Foo) | Foo | 'Dictionary<string, string>' does not contain a definition for 'Foo'
@(new List<int>().Foo) | Foo | 'List<int>' does not contain a definition for 'Foo'
@(new List<string> { "a" }[0].Lenght) | Lenght | 'string' does not contain a definition for 'Lenght'; did you mean 'Length'?
@(new Dictionary<string, int>()["a"].Foo) | Foo | 'int' does not contain a definition for 'Foo'
@(new HashSet<string>().Ad("a")) | Ad | 'HashSet<string>' does not contain a definition for 'Ad'; did you mean 'Add'?
@(new Queue<string>().Enqueu("a")) | Enqueu | 'Queue<string>' does not contain a definition for 'Enqueu'; did you mean 'Enqueue'?
# lambdas take their parameters' types from the sequence
@("a,b".Split(',').Select(s => s.Trimm())) | Trimm | 'string' does not contain a definition for 'Trimm'; did you mean 'Trim'?
@("a,b".Split(',').Where(s => s.Lenght > 0).Count()) | Lenght | 'string' does not contain a definition for 'Lenght'; did you mean 'Length'?
@("a,b".Split(',').Select((s, i) => s.Foo + i)) | Foo | 'string' does not contain a definition for 'Foo'
@("abc".Where(c => c.Foo).Count()) | Foo | 'char' does not contain a definition for 'Foo'
@("abc".Any(c => c.IsUpper())) | IsUpper | 'char' does not contain a definition for 'IsUpper'
@(new[] { 1, 2 }.Select(i => i.Length)) | Length | 'int' does not contain a definition for 'Length'
@(new List<string>().Where(x => x.StartWith("a"))) | StartWith | 'string' does not contain a definition for 'StartWith'; did you mean 'StartsWith'?
@(new Dictionary<string, int>().Select(kv => kv.Key.Lenght)) | Lenght | 'string' does not contain a definition for 'Lenght'; did you mean 'Length'?
@(new Dictionary<string, int>().Select(kv => kv.Vaule)) | Vaule | 'KeyValuePair<string, int>' does not contain a definition for 'Vaule'; did you mean 'Value'?
@(new[] { "a" }.OrderBy(s => s.Lenght)) | Lenght | 'string' does not contain a definition for 'Lenght'; did you mean 'Length'?
@(new[] { "a" }.ToDictionary(s => s, s => s.Lenght)) | Lenght | 'string' does not contain a definition for 'Lenght'; did you mean 'Length'?
@(new[] { "a" }.GroupBy(s => s.Length).Select(g => g.Ky)) | Ky | 'IGrouping<int, string>' does not contain a definition for 'Ky'; did you mean 'Key'?
@(new[] { "a" }.Select(s => s.Length).Select(n => n.Foo)) | Foo | 'int' does not contain a definition for 'Foo'
@(new[] { "a" }.Select(s => new JValue(s)).First().Foo) | Foo | 'JValue' does not contain a definition for 'Foo'
@(new[] { "a" }.First().Lenght) | Lenght | 'string' does not contain a definition for 'Lenght'; did you mean 'Length'?
@(new[] { "a" }.FirstOrDefault(s => s != null).Lenght) | Lenght | 'string' does not contain a definition for 'Lenght'; did you mean 'Length'?
@(new[] { "a" }.ToList().Ad("b")) | Ad | 'List<string>' does not contain a definition for 'Ad'; did you mean 'Add'?
@(new[] { "a" }.Aggregate((a, b) => a.Foo)) | Foo | 'string' does not contain a definition for 'Foo'
@(context.Request.Headers.GetValueOrDefault("a", "").Split(',').Select(p => p.Trimm()).ToArray()) | Trimm | 'string' does not contain a definition for 'Trimm'; did you mean 'Trim'?
@(from s in new[] { "a" } select s.Lenght) | Lenght | 'string' does not contain a definition for 'Lenght'; did you mean 'Length'?
@(new List<int>().ForEach(i => i.Foo())) | Foo | 'int' does not contain a definition for 'Foo'
@(new List<string>().Exists(s => s.Lenght == 1)) | Lenght | 'string' does not contain a definition for 'Lenght'; did you mean 'Length'?
# static members
@(Math.Foo(1)) | Foo | 'Math' does not contain a definition for 'Foo'; did you mean 'Floor'?
@(Math.Abss(-1)) | Abss | 'Math' does not contain a definition for 'Abss'; did you mean 'Abs'?
@(Math.Sqr(4)) | Sqr | 'Math' does not contain a definition for 'Sqr'; did you mean 'Sqrt'?
@(Math.Pi) | Pi | 'Math' does not contain a definition for 'Pi'
@(String.Joinn(",", "a")) | Joinn | 'string' does not contain a definition for 'Joinn'; did you mean 'Join'?
@(string.IsNullOrEmty("")) | IsNullOrEmty | 'string' does not contain a definition for 'IsNullOrEmty'; did you mean 'IsNullOrEmpty'?
@(string.Empy) | Empy | 'string' does not contain a definition for 'Empy'; did you mean 'Empty'?
@(Regex.IsMach("a", "a")) | IsMach | 'Regex' does not contain a definition for 'IsMach'; did you mean 'IsMatch'?
@(Regex.Replce("a", "a", "b")) | Replce | 'Regex' does not contain a definition for 'Replce'; did you mean 'Replace'?
@(Convert.ToBase64Strin(new byte[0])) | ToBase64Strin | 'Convert' does not contain a definition for 'ToBase64Strin'; did you mean 'ToBase64String'?
@(Convert.FromBase64("")) | FromBase64 | 'Convert' does not contain a definition for 'FromBase64'; did you mean 'FromBase64String'?
@(DateTime.Noww) | Noww | 'DateTime' does not contain a definition for 'Noww'; did you mean 'Now'?
@(DateTime.UtcNo) | UtcNo | 'DateTime' does not contain a definition for 'UtcNo'; did you mean 'UtcNow'?
@(DateTime.Pars("2020-01-01")) | Pars | 'DateTime' does not contain a definition for 'Pars'; did you mean 'Parse'?
@(Guid.NewGuidd()) | NewGuidd | 'Guid' does not contain a definition for 'NewGuidd'; did you mean 'NewGuid'?
@(int.Parsee("1")) | Parsee | 'int' does not contain a definition for 'Parsee'; did you mean 'Parse'?
@(int.MaxValu) | MaxValu | 'int' does not contain a definition for 'MaxValu'; did you mean 'MaxValue'?
@(Encoding.UTF9.GetBytes("a")) | UTF9 | 'Encoding' does not contain a definition for 'UTF9'; did you mean 'UTF8'?
@(JObject.Pars("{}")) | Pars | 'JObject' does not contain a definition for 'Pars'; did you mean 'Parse'?
@(JsonConvert.SerializeObjet(1)) | SerializeObjet | 'JsonConvert' does not contain a definition for 'SerializeObjet'; did you mean 'SerializeObject'?
@(TimeSpan.FromSecond(1)) | FromSecond | 'TimeSpan' does not contain a definition for 'FromSecond'; did you mean 'FromSeconds'?
@(StringComparison.OrdinalIgnoreCas) | OrdinalIgnoreCas | 'StringComparison' does not contain a definition for 'OrdinalIgnoreCas'; did you mean 'OrdinalIgnoreCase'?
@(Uri.EscapeDataStrin("a")) | EscapeDataStrin | 'Uri' does not contain a definition for 'EscapeDataStrin'; did you mean 'EscapeDataString'?
@(System.Text.RegularExpressions.Regex.Mach("a", "a")) | Mach | 'Regex' does not contain a definition for 'Mach'; did you mean 'Match'?
@(WebUtility.UrlEncod("a")) | UrlEncod | 'WebUtility' does not contain a definition for 'UrlEncod'; did you mean 'UrlEncode'?
@(string.Length) | Length | an object reference is required for the non-static member 'string.Length'
@(DateTime.Year) | Year | an object reference is required for the non-static member 'DateTime.Year'
@(JObject.Properties()) | Properties | an object reference is required for the non-static member 'JObject.Properties'
# argument counts
@("abc".Substring(1, 2, 3)) | Substring | no overload for method 'Substring' takes 3 arguments
@("abc".Substring()) | Substring | no overload for method 'Substring' takes 0 arguments
@("abc".Replace("a")) | Replace | no overload for method 'Replace' takes 1 arguments
@("abc".IndexOf()) | IndexOf | no overload for method 'IndexOf' takes 0 arguments
@("abc".ToUpper(1, 2)) | ToUpper | no overload for method 'ToUpper' takes 2 arguments
@("abc".StartsWith()) | StartsWith | no overload for method 'StartsWith' takes 0 arguments
@(context.Request.Headers.GetValueOrDefault()) | GetValueOrDefault | no overload for method 'GetValueOrDefault' takes 0 arguments
@(context.Request.Headers.GetValueOrDefault("a", "b", "c")) | GetValueOrDefault | no overload for method 'GetValueOrDefault' takes 3 arguments
@(context.Request.Headers.ContainsKey()) | ContainsKey | no overload for method 'ContainsKey' takes 0 arguments
@(context.Variables.ContainsKey("a", "b")) | ContainsKey | no overload for method 'ContainsKey' takes 2 arguments
@(context.Variables.GetValueOrDefault<string>()) | GetValueOrDefault | no overload for method 'GetValueOrDefault' takes 0 arguments
@(context.Request.Body.As<string>(true, false)) | As | no overload for method 'As' takes 2 arguments
@(Math.Max(1)) | Max | no overload for method 'Max' takes 1 arguments
@(Math.Abs()) | Abs | no overload for method 'Abs' takes 0 arguments
@(int.Parse()) | Parse | no overload for method 'Parse' takes 0 arguments
@(DateTime.UtcNow.AddDays()) | AddDays | no overload for method 'AddDays' takes 0 arguments
@(Guid.NewGuid(1)) | NewGuid | no overload for method 'NewGuid' takes 1 arguments
@(string.IsNullOrEmpty()) | IsNullOrEmpty | no overload for method 'IsNullOrEmpty' takes 0 arguments
@(Convert.ToBase64String()) | ToBase64String | no overload for method 'ToBase64String' takes 0 arguments
@(JObject.Parse()) | Parse | no overload for method 'Parse' takes 0 arguments
@("a,b".Split(',').Select()) | Select | no overload for method 'Select' takes 0 arguments
@("a,b".Split(',').First(1, 2)) | First | no overload for method 'First' takes 2 arguments
@(new[] { 1 }.Sum(1, 2)) | Sum | no overload for method 'Sum' takes 2 arguments
@(context.Timestamp.ToString("o", null, 1)) | ToString | no overload for method 'ToString' takes 3 arguments
@(context.Elapsed.TotalSeconds.CompareTo()) | CompareTo | no overload for method 'CompareTo' takes 0 arguments
@(new DateTime(1, 2, 3, 4, 5, 6, 7, 8, 9)) | DateTime( | 'DateTime' does not contain a constructor that takes 9 arguments
@(new Uri()) | Uri( | 'Uri' does not contain a constructor that takes 0 arguments
@(new JProperty()) | JProperty( | 'JProperty' does not contain a constructor that takes 0 arguments
@(new StringBuilder(1, 2, 3, 4, 5)) | StringBuilder( | 'StringBuilder' does not contain a constructor that takes 5 arguments
@(new Regex()) | Regex( | 'Regex' does not contain a constructor that takes 0 arguments
# calling what is not a method
@("abc".Length()) | Length | non-invocable member 'string.Length' cannot be used like a method
@(context.Request.Method()) | Method | non-invocable member 'IRequest.Method' cannot be used like a method
@(context.Response.StatusCode()) | StatusCode | non-invocable member 'IResponse.StatusCode' cannot be used like a method
@(context.Request.Url.Host()) | Host | non-invocable member 'IUrl.Host' cannot be used like a method
@(DateTime.UtcNow.Year()) | Year | non-invocable member 'DateTime.Year' cannot be used like a method
@(context.User.Email()) | Email | non-invocable member 'IUser.Email' cannot be used like a method
@(context.Elapsed.TotalSeconds()) | TotalSeconds | non-invocable member 'TimeSpan.TotalSeconds' cannot be used like a method
# conversions
@{ int x = "a"; return x; } | "a" | cannot implicitly convert type 'string' to 'int'
@{ string s = 5; return s; } | 5; | cannot implicitly convert type 'int' to 'string'
@{ bool b = 1; return b; } | 1; | cannot implicitly convert type 'int' to 'bool'
@{ int n = 1.5; return n; } | 1.5 | cannot implicitly convert type 'double' to 'int'
@{ char c = 65; return c; } | 65 | cannot implicitly convert type 'int' to 'char'
@{ float f = 1.5; return f; } | 1.5 | cannot implicitly convert type 'double' to 'float'
@{ decimal m = 2.5; return m; } | 2.5 | cannot implicitly convert type 'double' to 'decimal'
@{ long l = 1; int i = l; return i; } | l; | cannot implicitly convert type 'long' to 'int'
@{ int x = null; return x; } | null | cannot convert null to 'int' because it is a non-nullable value type
@{ bool b = null; return b; } | null | cannot convert null to 'bool' because it is a non-nullable value type
@{ double d = 1; int i = d; return i; } | d; | cannot implicitly convert type 'double' to 'int'
@{ int n = context.Request.Method; return n; } | context.Request.Method | cannot implicitly convert type 'string' to 'int'
@{ string s = context.Response.StatusCode; return s; } | context.Response.StatusCode | cannot implicitly convert type 'int' to 'string'
@{ bool t = context.Request.Url.Port; return t; } | context.Request.Url.Port | cannot implicitly convert type 'int' to 'bool'
@{ int n = context.Request.Headers.GetValueOrDefault("a", ""); return n; } | context.Request | cannot implicitly convert type 'string' to 'int'
@{ int n = "abc".Length > 1; return n; } | "abc" | cannot implicitly convert type 'bool' to 'int'
@{ string s = "a".Length; return s; } | "a".Length | cannot implicitly convert type 'int' to 'string'
@{ int n = DateTime.UtcNow.Ticks; return n; } | DateTime | cannot implicitly convert type 'long' to 'int'
@{ byte b = 1; int i = 300; b = i; return b; } | i; | cannot implicitly convert type 'int' to 'byte'
@{ int x = 1; x = "a"; return x; } | "a"; | cannot implicitly convert type 'string' to 'int'
@{ var x = 1; x = "a"; return x; } | "a"; | cannot implicitly convert type 'string' to 'int'
@{ string s = ""; s = 5; return s; } | 5; | cannot implicitly convert type 'int' to 'string'
@{ int x = 0; x = 1.5; return x; } | 1.5 | cannot implicitly convert type 'double' to 'int'
@{ bool ok = "true"; return ok; } | "true" | cannot implicitly convert type 'string' to 'bool'
@{ string s = context.Variables.GetValueOrDefault<int>("n"); return s; } | context.Variables | cannot implicitly convert type 'int' to 'string'
@{ int n = context.Variables.GetValueOrDefault<string>("s"); return n; } | context.Variables | cannot implicitly convert type 'string' to 'int'
@{ string s = 'a'; return s; } | 'a' | cannot implicitly convert type 'char' to 'string'
@{ int n = true ? "a" : "b"; return n; } | true ? | cannot implicitly convert type 'string' to 'int'
@{ string s = 1 + 2; return s; } | 1 + 2 | cannot implicitly convert type 'int' to 'string'
# argument types
@(int.Parse(5)) | 5 | argument 1: cannot convert from 'int' to 'string'
@("abc".Substring("1")) | "1" | argument 1: cannot convert from 'string' to 'int'
@(Math.Abs("x")) | Abs | no overload of method 'Abs' takes arguments (string)
@("abc".PadLeft("x")) | "x" | argument 1: cannot convert from 'string' to 'int'
@(context.Variables.ContainsKey(1)) | 1) | argument 1: cannot convert from 'int' to 'string'
@(context.Request.Headers.GetValueOrDefault(1, "")) | 1, | argument 1: cannot convert from 'int' to 'string'
@(context.Request.Headers.ContainsKey(true)) | true | argument 1: cannot convert from 'bool' to 'string'
@(string.IsNullOrEmpty(5)) | 5 | argument 1: cannot convert from 'int' to 'string'
@(DateTime.UtcNow.AddDays("1")) | "1" | argument 1: cannot convert from 'string' to 'double'
@(TimeSpan.FromSeconds("1")) | "1" | argument 1: cannot convert from 'string' to 'double'
@(Convert.ToInt32("1", "2", "3")) | ToInt32 | no overload for method 'ToInt32' takes 3 arguments
@("abc".Contains(1)) | Contains | no overload of method 'Contains' takes arguments (int)
@("abc".Insert("0", "x")) | "0" | argument 1: cannot convert from 'string' to 'int'
@("abc".Remove("a")) | "a" | argument 1: cannot convert from 'string' to 'int'
@("a,b".Split(',').Take("1")) | "1" | argument 1: cannot convert from 'string' to 'int'
@("a,b".Split(',').Skip(true)) | true | argument 1: cannot convert from 'bool' to 'int'
@("a,b".Split(',').ElementAt("0")) | "0" | argument 1: cannot convert from 'string' to 'int'
# local functions
@{ int F() => "a"; return F(); } | "a" | cannot implicitly convert type 'string' to 'int'
@{ string G() { return 1; } return G(); } | 1; } | cannot implicitly convert type 'int' to 'string'
@{ int F(bool b) { if (b) { return 1; } } return F(true); } | } return F | 'F': not all code paths return a value
@{ string F(int n) { while (n > 0) { n--; } } return F(1); } | } return F | 'F': not all code paths return a value
@{ bool F() { return "no"; } return F(); } | "no" | cannot implicitly convert type 'string' to 'bool'
@{ int F(string s) => s.Lenght; return F("a"); } | Lenght | 'string' does not contain a definition for 'Lenght'; did you mean 'Length'?
@{ int F(int n) => n.Foo; return F(1); } | Foo | 'int' does not contain a definition for 'Foo'
@{ string F() => "a"; return F().Lenght; } | Lenght | 'string' does not contain a definition for 'Lenght'; did you mean 'Length'?
# indexing
@(((int)context.Variables["n"])[0]) | ((int) | cannot apply indexing with [] to an expression of type 'int'
@(context.Request[0]) | context.Request[ | cannot apply indexing with [] to an expression of type 'IRequest'
@(context.Response.StatusCode[1]) | context.Response.StatusCode[ | cannot apply indexing with [] to an expression of type 'int'
@(DateTime.UtcNow[0]) | DateTime.UtcNow[ | cannot apply indexing with [] to an expression of type 'DateTime'
@(context.Request.Url["a"]) | context.Request.Url[ | cannot apply indexing with [] to an expression of type 'IUrl'
@(Guid.NewGuid()[0]) | Guid.NewGuid()[ | cannot apply indexing with [] to an expression of type 'Guid'
# unknown types and names
@((Strin)context.Variables["x"]) | Strin | unknown type 'Strin'; did you mean 'String'?
@((strin)context.Variables["x"]) | strin | unknown type 'strin'; did you mean 'string'?
@(new Lst<string>()) | Lst | unknown type 'Lst<string>'; did you mean 'List'?
@(new Dictionry<string, int>()) | Dictionry | unknown type 'Dictionry<string, int>'; did you mean 'Dictionary'?
@(context.Variables["x"] is JObjet) | JObjet | unknown type 'JObjet'; did you mean 'JObject'?
@(context.Request.Body.As<JObjet>()) | JObjet | unknown type 'JObjet'; did you mean 'JObject'?
@(context.Variables.GetValueOrDefault<Strng>("x")) | Strng | unknown type 'Strng'; did you mean 'String'?
@(typeof(Foo)) | Foo | unknown type 'Foo'
@(default(DateTme)) | DateTme | unknown type 'DateTme'; did you mean 'DateTime'?
@(Mathh.Abs(1)) | Mathh | unknown name 'Mathh'; did you mean 'Math'?
@(Regx.IsMatch("a", "b")) | Regx | unknown name 'Regx'; did you mean 'Regex'?
@{ boool b = true; return b; } | boool | unknown type 'boool'; did you mean 'bool'?
@(context.Variables["x"] as JArrray) | JArrray | unknown type 'JArrray'; did you mean 'JArray'?
@(new List<Strin>()) | Strin | unknown type 'Strin'; did you mean 'String'?
@{ foreach (Strng s in new[] { "a" }) { return s; } return ""; } | Strng | unknown type 'Strng'; did you mean 'String'?
@((Int23)context.Variables["x"]) | Int23 | unknown type 'Int23'; did you mean 'Int32'?
# out var takes its parameter's type
@(context.Request.Headers.TryGetValue("a", out var v) ? v.Lenght : 0) | Lenght | 'string[]' does not contain a definition for 'Lenght'; did you mean 'Length'?
@(int.TryParse("1", out var n) ? n.Foo : 0) | Foo | 'int' does not contain a definition for 'Foo'
@(DateTime.TryParse("2020-01-01", out var d) ? d.Yaer : 0) | Yaer | 'DateTime' does not contain a definition for 'Yaer'; did you mean 'Year'?
@(context.Request.MatchedParameters.TryGetValue("id", out var id) ? id.Lenght : 0) | Lenght | 'string' does not contain a definition for 'Lenght'; did you mean 'Length'?
# a lambda assigned to a delegate takes its parameters' types
@{ Func<string, int> f = s => s.Lenght; return f("a"); } | Lenght | 'string' does not contain a definition for 'Lenght'; did you mean 'Length'?
@{ Predicate<int> p = i => i.Foo; return p(1); } | Foo | 'int' does not contain a definition for 'Foo'
"""
"""One row a line: the expression | the text whose first character is where the problem is |
the message. Lines starting with ``#`` name the group of rows below them."""


def _rows(table: str) -> list[tuple[str, str, str]]:
    rows = []
    for line in table.strip().splitlines():
        if not line.startswith("#"):
            source, at, message = line.split(" | ")
            rows.append((source, at, message))
    return rows


BAD = _rows(TABLE)

FIRST_LINE = 3
"""The line of the first expression in the document (after ``<policies>`` and ``<inbound>``)."""
INDENT = '        <set-variable name="v" value="'


def _document() -> str:
    lines = ["<policies>", "    <inbound>"]
    lines += [f'{INDENT}{source}" />' for source, _, _ in BAD]
    lines += ["    </inbound>", "    <backend><forward-request /></backend>", "</policies>", ""]
    return "\n".join(lines)


def _problems() -> dict[int, list[Problem]]:
    with pytest.raises(PolicyError) as caught:
        load_policies({"policy.xml": _document()})
    by_line: dict[int, list[Problem]] = {}
    for problem in caught.value.problems:
        by_line.setdefault(problem.line, []).append(problem)
    return by_line


PROBLEMS = _problems()


def test_the_table_is_large_and_every_row_is_reported_at_once() -> None:
    assert len(BAD) >= 200
    assert sorted(PROBLEMS) == [FIRST_LINE + i for i in range(len(BAD))]


@pytest.mark.parametrize(("row", "case"), list(enumerate(BAD)), ids=[s for s, _, _ in BAD])
def test_refused_with_its_message_at_its_position(row: int, case: tuple[str, str, str]) -> None:
    source, at, message = case
    column = source.index(at) + 1
    (problem,) = PROBLEMS[FIRST_LINE + row]
    assert (problem.kind, problem.file, problem.column, problem.message) == (
        "expression",
        "policy.xml",
        len(INDENT) + column,
        message,
    )
    assert problem.text == f'{INDENT}{source}" />'.strip()
    # the same, relative to the expression, from the compiler
    with pytest.raises(ExpressionSyntaxError) as caught:
        compile_program(source)
    assert (caught.value.message, caught.value.line, caught.value.column) == (message, 1, column)
    assert caught.value.others == ()


def test_every_problem_of_one_expression_is_reported() -> None:
    source = (
        '@{ var n = context.Request.Heders.Count; int x = "a"; '
        "return context.Request.Url.Hots + n.Foo + x; }"
    )
    with pytest.raises(ExpressionSyntaxError) as caught:
        compile_program(source)
    found = [(e.message, e.column) for e in (caught.value, *caught.value.others)]
    assert found == [
        (
            "'IRequest' does not contain a definition for 'Heders'; did you mean 'Headers'?",
            source.index("Heders") + 1,
        ),
        ("cannot implicitly convert type 'string' to 'int'", source.index('"a"') + 1),
        (
            "'IUrl' does not contain a definition for 'Hots'; did you mean 'Host'?",
            source.index("Hots") + 1,
        ),
    ]


def test_a_problem_on_the_second_line_of_a_block_is_placed_there() -> None:
    source = '@{\n    var s = "a";\n    return s.Lenght;\n}'
    with pytest.raises(ExpressionSyntaxError) as caught:
        compile_program(source)
    assert (caught.value.line, caught.value.column) == (3, 14)
