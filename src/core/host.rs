//! Hostnames as `who host/…` reads them, and how Ingress rules and Gateway API routes match
//! them (their wildcards differ).

/// The host of `host/ARG`: a hostname, or a URL whose host is taken (`https://shop.example.com/cart`
/// from an alert); lower-cased, without port or trailing dot.
pub fn parse(arg: &str) -> Result<String, String> {
    let rest = arg.split_once("://").map_or(arg, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let authority = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let host = match authority.rsplit_once(':') {
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => host,
        _ => authority,
    };
    let host = host.trim_end_matches('.').to_lowercase();
    let valid = !host.is_empty()
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    match valid {
        true => Ok(host),
        false => Err(format!("invalid host name: \"{arg}\"")),
    }
}

/// An Ingress rule's `host`: exact, or `*.example.com`, whose `*` is exactly one label
/// (`shop.example.com`, not `a.shop.example.com` nor `example.com`).
pub fn ingress_matches(rule_host: &str, host: &str) -> bool {
    let rule_host = rule_host.to_lowercase();
    match rule_host.strip_prefix("*.") {
        Some(suffix) => host.split_once('.').is_some_and(|(_, rest)| rest == suffix),
        None => rule_host == host,
    }
}

/// An HTTPRoute's `hostnames` entry: exact, or `*.example.com`, a suffix of one or more labels
/// (`shop.example.com` and `a.shop.example.com`, not `example.com`).
pub fn route_matches(route_host: &str, host: &str) -> bool {
    let route_host = route_host.to_lowercase();
    match route_host.strip_prefix("*.") {
        Some(suffix) => host
            .strip_suffix(suffix)
            .is_some_and(|label| label.len() > 1 && label.ends_with('.')),
        None => route_host == host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_urls() {
        assert_eq!(parse("shop.example.com").unwrap(), "shop.example.com");
        assert_eq!(parse("Shop.Example.com.").unwrap(), "shop.example.com");
        assert_eq!(
            parse("https://user@shop.example.com:8443/cart?x=1").unwrap(),
            "shop.example.com"
        );
        assert_eq!(parse("shop.example.com/cart").unwrap(), "shop.example.com");
        for bad in [
            "",
            "shop..example.com",
            "-shop.example.com",
            "shop_1.example.com",
            "https://",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ingress_wildcards_are_one_label() {
        assert!(ingress_matches("shop.example.com", "shop.example.com"));
        assert!(ingress_matches("*.shop.example.com", "eu.shop.example.com"));
        assert!(!ingress_matches(
            "*.shop.example.com",
            "a.eu.shop.example.com"
        ));
        assert!(!ingress_matches("*.shop.example.com", "shop.example.com"));
        assert!(!ingress_matches("shop.example.com", "eu.shop.example.com"));
    }

    #[test]
    fn route_wildcards_are_a_suffix() {
        assert!(route_matches(
            "api.payments.example.com",
            "api.payments.example.com"
        ));
        assert!(route_matches("*.example.com", "api.payments.example.com"));
        assert!(route_matches("*.example.com", "payments.example.com"));
        assert!(!route_matches("*.example.com", "example.com"));
        assert!(!route_matches("*.example.com", "badexample.com"));
    }
}
