//! "Did you mean ...?" for unknown names.

/// The candidates nearest to `name`, best first; empty when none is close.
pub fn nearest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let mut scored: Vec<(f64, &str)> = candidates
        .into_iter()
        .map(|c| {
            (
                strsim::jaro_winkler(&name.to_lowercase(), &c.to_lowercase()),
                c,
            )
        })
        .filter(|(score, _)| *score >= 0.8)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    scored.into_iter().take(3).map(|(_, c)| c).collect()
}

/// `"; did you mean `a` or `b`?"`, or nothing.
pub fn hint<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    let near = nearest(name, candidates);
    match near.as_slice() {
        [] => String::new(),
        [one] => format!("; did you mean `{one}`?"),
        many => {
            let quoted: Vec<String> = many.iter().map(|c| format!("`{c}`")).collect();
            format!("; did you mean one of {}?", quoted.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(
            nearest("tokn_url", ["token_url", "url", "issuer"]),
            vec!["token_url"]
        );
        assert_eq!(nearest("prdo", ["prod", "staging"]), vec!["prod"]);
        assert!(nearest("zzz", ["prod", "staging"]).is_empty());
        assert_eq!(hint("zzz", ["prod"]), "");
        assert_eq!(hint("prdo", ["prod"]), "; did you mean `prod`?");
    }
}
