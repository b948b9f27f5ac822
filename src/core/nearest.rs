//! "Did you mean": the one way we pick the known name nearest to a mistyped one (team names and
//! aliases, stages, contact keys, rule ids, config fields).

fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, '-' | '_' | '.' | ' '))
        .flat_map(char::to_lowercase)
        .collect()
}

/// How close `input` is to `candidate`: (edit distance, similarity); `None` if not close enough.
fn closeness(input: &str, candidate: &str) -> Option<(usize, f64)> {
    if input == candidate {
        return Some((0, 1.0));
    }
    let (a, b) = (input.to_lowercase(), candidate.to_lowercase());
    if squash(input) == squash(candidate) {
        return Some((1, 1.0));
    }
    let d = strsim::damerau_levenshtein(&a, &b);
    let sim = strsim::normalized_damerau_levenshtein(&a, &b);
    let longest = a.chars().count().max(b.chars().count());
    ((d <= 2 && d * 2 <= longest) || sim >= 0.7).then_some((d, sim))
}

fn better(a: (usize, f64), b: (usize, f64)) -> bool {
    a.0 < b.0 || (a.0 == b.0 && a.1 > b.1)
}

/// The candidate nearest to `input` (with its tag), if any is close enough; ties go to the first.
pub fn nearest_by<'a, T>(
    input: &str,
    candidates: impl IntoIterator<Item = (T, &'a str)>,
) -> Option<(T, &'a str)> {
    candidates
        .into_iter()
        .filter_map(|(t, c)| closeness(input, c).map(|score| (score, t, c)))
        .reduce(|best, cur| if better(cur.0, best.0) { cur } else { best })
        .map(|(_, t, c)| (t, c))
}

/// The candidate nearest to `input`, if any is close enough.
pub fn nearest<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    nearest_by(input, candidates.into_iter().map(|c| ((), c))).map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_case_and_separators() {
        let known = ["payments", "platform", "search"];
        assert_eq!(nearest("paymnets", known), Some("payments"));
        assert_eq!(nearest("Payments", known), Some("payments"));
        assert_eq!(nearest("plat-form", known), Some("platform"));
        assert_eq!(nearest("zz", known), None);
        assert_eq!(nearest("serch", known), Some("search"));
    }
}
