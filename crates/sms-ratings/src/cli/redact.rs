//! Database locations as logs may show them.

/// The URL without credentials, for logs: the user info before the `@` and every
/// `…password=` parameter of the query are replaced by `…`.
pub(super) fn redact(location: &str) -> String {
    let Some((scheme, rest)) = location.split_once("://") else {
        return location.to_owned();
    };
    let (base, query) = match rest.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (rest, None),
    };
    let base = match base.rsplit_once('@') {
        Some((_, host)) => format!("…@{host}"),
        None => base.to_owned(),
    };
    let Some(query) = query else {
        return format!("{scheme}://{base}");
    };
    let query: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if key.to_ascii_lowercase().contains("password") => {
                format!("{key}=…")
            }
            _ => pair.to_owned(),
        })
        .collect();
    format!("{scheme}://{base}?{}", query.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_hides_passwords_in_user_info_and_query() {
        assert_eq!(
            redact("postgres://u:pw1@db:5432/x?sslmode=require&password=pw2&sslpassword=pw3"),
            "postgres://…@db:5432/x?sslmode=require&password=…&sslpassword=…"
        );
        assert_eq!(
            redact("postgres://db/x?PASSWORD=pw"),
            "postgres://db/x?PASSWORD=…"
        );
        assert_eq!(redact("ratings.db"), "ratings.db");
    }
}
