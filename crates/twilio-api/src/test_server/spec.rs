//! The route table of the test server, read from Twilio's OpenAPI excerpts in `spec/`: which
//! paths exist, which methods each takes, which parameters each method knows and what values
//! they accept. A request the spec does not describe is refused as Twilio refuses it.

use std::collections::BTreeMap;

use serde_json::Value;

/// The three excerpts, compiled in (see `spec/README.md`).
const SPECS: [&str; 3] = [
    include_str!("../../spec/api_v2010_incoming_phone_numbers.json"),
    include_str!("../../spec/messaging_v1_services.json"),
    include_str!("../../spec/lookups_v2_phone_numbers.json"),
];

/// What a value must look like.
#[derive(Debug, Clone, Default)]
pub(super) struct Rule {
    one_of: Option<Vec<String>>,
    sid_prefix: Option<String>,
    uri: bool,
    boolean: bool,
    integer: bool,
}

impl Rule {
    fn from_schema(schema: &Value, spec: &Value) -> Self {
        let schema = resolve(schema, spec);
        let text = |v: &Value| v.as_str().map(str::to_owned);
        let pattern = schema.get("pattern").and_then(Value::as_str).unwrap_or("");
        Self {
            one_of: schema
                .get("enum")
                .and_then(Value::as_array)
                .map(|values| values.iter().filter_map(text).collect()),
            // Every SID pattern of the excerpts is `^XX[0-9a-fA-F]{32}$`.
            sid_prefix: pattern
                .strip_prefix('^')
                .and_then(|p| p.strip_suffix("[0-9a-fA-F]{32}$"))
                .filter(|p| p.len() == 2)
                .map(str::to_owned),
            uri: schema.get("format").and_then(Value::as_str) == Some("uri"),
            boolean: schema.get("type").and_then(Value::as_str) == Some("boolean"),
            integer: schema.get("type").and_then(Value::as_str) == Some("integer"),
        }
    }

    /// Whether `value` is acceptable (an empty URL clears it, as in Twilio's console).
    pub(super) fn accepts(&self, value: &str) -> bool {
        if let Some(values) = &self.one_of {
            return values.iter().any(|v| v == value);
        }
        if let Some(prefix) = &self.sid_prefix {
            return crate::credentials::is_sid(value, prefix);
        }
        if self.uri {
            return value.is_empty()
                || ((value.starts_with("https://") || value.starts_with("http://"))
                    && !value.contains(char::is_whitespace));
        }
        if self.boolean {
            return value == "true" || value == "false";
        }
        if self.integer {
            return value.parse::<i64>().is_ok();
        }
        true
    }
}

/// One operation: its id and the parameters it knows.
#[derive(Debug, Clone)]
pub(super) struct Operation {
    /// The spec's `operationId`, qualified by the API (`api`, `messaging`, `lookups`).
    pub(super) id: String,
    pub(super) path_params: BTreeMap<String, Rule>,
    pub(super) query: BTreeMap<String, Rule>,
    pub(super) form: BTreeMap<String, Rule>,
}

/// One path template, split in segments, with its operations by method.
#[derive(Debug, Clone)]
pub(super) struct Route {
    segments: Vec<String>,
    pub(super) methods: BTreeMap<String, Operation>,
}

/// Every route of the excerpts, plus the account fetch (outside the excerpts: the one read
/// every set of credentials may do, used as the token check).
pub(super) fn routes() -> Result<Vec<Route>, serde_json::Error> {
    let mut routes = Vec::new();
    for text in SPECS {
        let spec: Value = serde_json::from_str(text)?;
        let api = api_name(&spec);
        let Some(paths) = spec.get("paths").and_then(Value::as_object) else {
            continue;
        };
        for (template, ops) in paths {
            let mut methods = BTreeMap::new();
            for (method, op) in ops.as_object().into_iter().flatten() {
                let Some(id) = op.get("operationId").and_then(Value::as_str) else {
                    continue;
                };
                methods.insert(method.to_ascii_uppercase(), operation(api, id, op, &spec));
            }
            routes.push(Route {
                segments: split(template),
                methods,
            });
        }
    }
    let mut sid = BTreeMap::new();
    sid.insert(
        "Sid".to_owned(),
        Rule {
            sid_prefix: Some("AC".into()),
            ..Rule::default()
        },
    );
    let fetch = Operation {
        id: "api.FetchAccount".into(),
        path_params: sid,
        query: BTreeMap::new(),
        form: BTreeMap::new(),
    };
    routes.push(Route {
        segments: split("/2010-04-01/Accounts/{Sid}.json"),
        methods: BTreeMap::from([("GET".to_owned(), fetch)]),
    });
    Ok(routes)
}

fn api_name(spec: &Value) -> &'static str {
    let server = spec
        .pointer("/servers/0/url")
        .and_then(Value::as_str)
        .unwrap_or("");
    if server.contains("messaging") {
        "messaging"
    } else if server.contains("lookups") {
        "lookups"
    } else {
        "api"
    }
}

fn operation(api: &str, id: &str, op: &Value, spec: &Value) -> Operation {
    let mut path_params = BTreeMap::new();
    let mut query = BTreeMap::new();
    for p in op
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let (Some(name), Some(place)) = (
            p.get("name").and_then(Value::as_str),
            p.get("in").and_then(Value::as_str),
        ) else {
            continue;
        };
        let rule = Rule::from_schema(p.get("schema").unwrap_or(&Value::Null), spec);
        match place {
            "path" => path_params.insert(name.to_owned(), rule),
            "query" => query.insert(name.to_owned(), rule),
            _ => None,
        };
    }
    let form_schema = op
        .pointer("/requestBody/content/application~1x-www-form-urlencoded/schema")
        .map(|s| resolve(s, spec));
    let form = form_schema
        .and_then(|s| s.get("properties"))
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(name, schema)| (name.clone(), Rule::from_schema(schema, spec)))
        .collect();
    Operation {
        id: format!("{api}.{id}"),
        path_params,
        query,
        form,
    }
}

/// A schema, with a `$ref` to `#/components/schemas/…` followed.
fn resolve<'a>(schema: &'a Value, spec: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => reference
            .strip_prefix('#')
            .and_then(|pointer| spec.pointer(pointer))
            .unwrap_or(schema),
        None => schema,
    }
}

fn split(path: &str) -> Vec<String> {
    path.trim_start_matches('/')
        .split('/')
        .map(str::to_owned)
        .collect()
}

impl Route {
    /// The path parameters when `path` matches this template: `{Name}` is a whole segment,
    /// `{Name}.json` one ending in `.json`. Values are percent-decoded.
    pub(super) fn matches(&self, path: &str) -> Option<BTreeMap<String, String>> {
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        if segments.len() != self.segments.len() {
            return None;
        }
        let mut params = BTreeMap::new();
        for (template, actual) in self.segments.iter().zip(segments) {
            match template.strip_prefix('{').and_then(|t| t.split_once('}')) {
                Some((name, suffix)) => {
                    let value = actual.strip_suffix(suffix)?;
                    let value = percent_encoding::percent_decode_str(value)
                        .decode_utf8()
                        .ok()?;
                    if value.is_empty() {
                        return None;
                    }
                    params.insert(name.to_owned(), value.into_owned());
                }
                None if template == actual => {}
                None => return None,
            }
        }
        Some(params)
    }
}
