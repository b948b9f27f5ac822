//! Container image references as `who image/…` matches them: a reference (any tag when it has
//! none), a prefix ending in `*`, or a digest — against what pod templates say, with Docker
//! Hub's short names (`nginx:1.27`) equal to their full form (`docker.io/library/nginx:1.27`).

/// What `who image/…` looks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImagePattern {
    /// `registry.example/payments/api:1.4.2`, `…@sha256:…`, or a repository alone (any tag).
    Reference(Reference),
    /// `registry.example/payments/*`: every image whose reference starts with the text before `*`.
    Prefix(String),
    /// `sha256:…` (or its first characters): every image pinned to that digest.
    Digest(String),
}

/// An image reference split into its parts, the repository in its full form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

impl Reference {
    /// Splits `[domain/]path[:tag][@digest]`; a repository without a domain is on Docker Hub
    /// (`library/` for one-component names), as container runtimes read it.
    pub fn parse(text: &str) -> Reference {
        let (name, digest) = match text.split_once('@') {
            Some((name, digest)) => (name, Some(digest.to_string())),
            None => (text, None),
        };
        // A tag's `:` comes after the last `/`; an earlier one is a registry's port.
        let (name, tag) = match name.rsplit_once(':') {
            Some((repo, tag)) if !tag.contains('/') => (repo, Some(tag.to_string())),
            _ => (name, None),
        };
        Reference {
            repository: full_repository(name),
            tag,
            digest,
        }
    }

    /// The full form: `docker.io/library/nginx:1.27`.
    pub fn full(&self) -> String {
        let mut out = self.repository.clone();
        if let Some(tag) = &self.tag {
            out.push(':');
            out.push_str(tag);
        }
        if let Some(digest) = &self.digest {
            out.push('@');
            out.push_str(digest);
        }
        out
    }
}

/// Docker Hub's other names for itself.
const DOCKER_HUB_ALIASES: [&str; 2] = ["index.docker.io", "registry-1.docker.io"];

fn full_repository(name: &str) -> String {
    let (domain, path) = match name.split_once('/') {
        Some((first, rest)) if first.contains(['.', ':']) || first == "localhost" => (first, rest),
        _ => ("docker.io", name),
    };
    let domain = match DOCKER_HUB_ALIASES.contains(&domain) {
        true => "docker.io",
        false => domain,
    };
    // Docker Hub's official images live under `library/`.
    match domain == "docker.io" && !path.contains('/') {
        true => format!("docker.io/library/{path}"),
        false => format!("{domain}/{path}"),
    }
}

/// Digest prefixes shorter than this match too much to name an image (Docker's short ids are 12).
const MIN_DIGEST_PREFIX: usize = 12;

impl ImagePattern {
    pub fn parse(text: &str) -> Result<ImagePattern, String> {
        let invalid = || format!("invalid image reference: \"{text}\"");
        if text.is_empty() || text.contains(char::is_whitespace) {
            return Err(invalid());
        }
        if let Some(prefix) = text.strip_suffix('*') {
            if prefix.is_empty() || prefix.contains('*') {
                return Err(format!(
                    "{}: `*` ends a prefix, as in image/registry.example/payments/*",
                    invalid()
                ));
            }
            return Ok(ImagePattern::Prefix(prefix.to_string()));
        }
        if text.contains('*') {
            return Err(format!(
                "{}: `*` ends a prefix, as in image/registry.example/payments/*",
                invalid()
            ));
        }
        if let Some(hex) = text.strip_prefix("sha256:") {
            if !hex.chars().all(|c| c.is_ascii_hexdigit()) || hex.len() > 64 {
                return Err(invalid());
            }
            if hex.len() < MIN_DIGEST_PREFIX {
                return Err(format!(
                    "{}: give at least {MIN_DIGEST_PREFIX} hex digits of the digest",
                    invalid()
                ));
            }
            return Ok(ImagePattern::Digest(text.to_lowercase()));
        }
        Ok(ImagePattern::Reference(Reference::parse(text)))
    }

    /// The pattern in a sentence: `image docker.io/library/nginx:1.27`, `an image starting with …`.
    pub fn describe(&self) -> String {
        match self {
            ImagePattern::Reference(r) => format!("image {}", r.full()),
            ImagePattern::Prefix(p) => format!("an image starting with {p}"),
            ImagePattern::Digest(d) => format!("an image with digest {d}"),
        }
    }

    /// Whether a pod template's `image` is one this pattern names.
    pub fn matches(&self, image: &str) -> bool {
        let image_ref = Reference::parse(image);
        match self {
            ImagePattern::Reference(wanted) => {
                wanted.repository == image_ref.repository
                    && match (&wanted.digest, &wanted.tag) {
                        (Some(digest), _) => image_ref.digest.as_ref() == Some(digest),
                        // An image without tag or digest runs `latest`.
                        (None, Some(tag)) => {
                            image_ref.tag.as_deref().unwrap_or(match image_ref.digest {
                                Some(_) => "",
                                None => "latest",
                            }) == tag
                        }
                        (None, None) => true,
                    }
            }
            ImagePattern::Prefix(prefix) => {
                image.starts_with(prefix.as_str()) || image_ref.full().starts_with(prefix.as_str())
            }
            ImagePattern::Digest(digest) => image_ref
                .digest
                .is_some_and(|d| d.to_lowercase().starts_with(digest.as_str())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, image: &str) -> bool {
        ImagePattern::parse(pattern).unwrap().matches(image)
    }

    #[test]
    fn references_match_with_docker_hub_short_names_and_any_tag_when_none_is_given() {
        assert!(m(
            "registry.example/payments/api:1.4.2",
            "registry.example/payments/api:1.4.2"
        ));
        assert!(!m(
            "registry.example/payments/api:1.4.2",
            "registry.example/payments/api:1.4.3"
        ));
        assert!(m(
            "registry.example/payments/api",
            "registry.example/payments/api:1.4.3"
        ));
        assert!(!m(
            "registry.example/payments/api",
            "registry.example/payments/api-gateway:1"
        ));
        assert!(m("docker.io/library/nginx:1.27", "nginx:1.27"));
        assert!(m("nginx:1.27", "docker.io/library/nginx:1.27"));
        assert!(m("nginx:latest", "nginx"));
        assert!(m("bitnami/redis", "docker.io/bitnami/redis:7"));
        assert!(m("docker.io/nginx:1.27", "nginx:1.27"));
        assert!(m("nginx:1.27", "index.docker.io/library/nginx:1.27"));
        assert!(m("registry-1.docker.io/bitnami/redis", "bitnami/redis:7"));
        assert!(m("localhost:5000/app:1", "localhost:5000/app:1"));
        assert!(!m("localhost:5000/app:1", "localhost:5000/app:2"));
    }

    #[test]
    fn digests_match_pinned_images_in_full_or_by_their_start() {
        let digest = format!("sha256:{}", "ab".repeat(32));
        let pinned = format!("registry.example/payments/ledger@{digest}");
        assert!(m(&digest, &pinned));
        assert!(m("sha256:abababababab", &pinned));
        assert!(m(&pinned, &pinned));
        assert!(m(
            &format!("registry.example/payments/ledger:2@{digest}"),
            &format!("registry.example/payments/ledger:2@{digest}")
        ));
        assert!(!m(&digest, "registry.example/payments/ledger:2"));
        assert!(!m("sha256:cdcdcdcdcdcd", &pinned));
    }

    #[test]
    fn prefixes_end_in_a_star() {
        assert!(m(
            "registry.example/payments/*",
            "registry.example/payments/api:1"
        ));
        assert!(!m(
            "registry.example/payments/*",
            "registry.example/checkout/web:1"
        ));
        assert!(m("docker.io/library/ng*", "nginx:1.27"));
        assert!(m("ngi*", "nginx:1.27"));
        for bad in ["*", "a*b*", "a*b", "", "sha256:xyz", "sha256:abab", "a b"] {
            assert!(ImagePattern::parse(bad).is_err(), "{bad}");
        }
    }
}
