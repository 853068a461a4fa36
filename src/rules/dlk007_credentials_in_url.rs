use super::dlk005_hardcoded_secret::instruction_at;
use super::{declare_rule, Rule, RuleContext, RuleMeta};
use crate::finding::{Finding, Severity};
use crate::source::Span;
use regex::Regex;
use std::sync::LazyLock;

declare_rule! {
    /// ## What it finds
    /// A URL with credentials in it: `https://user:password@host`,
    /// `https://oauth2:TOKEN@gitlab.com`, `https://x-access-token:TOKEN@github.com`,
    /// or a bare token as the user (`https://ghp_…@github.com`), in `ADD`,
    /// `RUN`, `ENV`, `ARG`, `LABEL` or anywhere else in the file. When the
    /// credential part is a variable (`https://$USER:$PASS@…`) it is not
    /// written in the file: that case is `DLK006`.
    ///
    /// ## Why it leaks
    /// The password is in plain text in the Dockerfile, and the URL is also
    /// kept in the image: in the history for `RUN` and `ADD`, in the config
    /// for `ENV` and `LABEL`, and often in files the command writes
    /// (`.git/config`, `pip.conf`).
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM python:3.12
    /// RUN pip install --index-url https://deploy:Sup3rS3cret@pypi.example.com/simple app
    /// ```
    ///
    /// ## Fix
    /// A display-only fix: the password is compromised once committed, so a
    /// person must rotate it. Revoke the password, and give the credential to
    /// the build as a secret:
    /// ```dockerfile
    /// FROM python:3.12
    /// RUN --mount=type=secret,id=pip_index_url,env=PIP_INDEX_URL pip install app
    /// ```
    pub struct CredentialsInUrl;
    code: "DLK007",
    name: "credentials-in-url",
    severity: Error,
    summary: "A URL with `user:password@` (or a token as the user) is written in the Dockerfile.",
}

/// `scheme://userinfo@` with the user and the optional password captured.
/// Scheme and host start are ASCII (`(?i-u)`: a smaller regex to compile).
static URL_CREDENTIALS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i-u:\b[a-z][a-z0-9+.-]*://)([^\s/?#@:'"`]+)(?::([^\s/?#@'"`]*))?(?i-u:@[a-z0-9\[])"#,
    )
    .expect("the URL credentials pattern is a valid regex")
});

impl Rule for CredentialsInUrl {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn fix(
        &self,
        _context: &RuleContext<'_>,
        finding: &Finding,
        _findings: &[Finding],
    ) -> Option<crate::fix::Fix> {
        crate::fix::rewrites::rotate_credential(finding)
    }

    fn check(&self, context: &RuleContext<'_>, findings: &mut Vec<Finding>) {
        let text = context.text;
        // Every match has `://` and then `@`: most files have no such
        // text, and never build the regex (half a million instructions,
        // 5% of a one-file run).
        if !crate::analysis::shell::prefilter::has_url_userinfo(text) {
            return;
        }
        for captures in URL_CREDENTIALS.captures_iter(text) {
            let Some(user) = captures.get(1) else {
                continue;
            };
            // A variable anywhere in the credentials is DLK006's case
            // (`https://${TOKEN}:x-oauth-basic@github.com`).
            let password = captures.get(2);
            if user.as_str().contains('$')
                || password.is_some_and(|password| password.as_str().contains('$'))
            {
                continue;
            }
            let password = password.filter(|password| {
                !password.as_str().is_empty()
                    && !crate::secrets::tokens::is_placeholder(password.as_str())
                    && !is_token_password_marker(password.as_str())
            });
            // In `https://<token>:x-oauth-basic@github.com/…` (GitHub's
            // documented form), `https://<token>:@…` and `https://<token>:x@…`
            // the user part *is* the token.
            let token = user.as_str();
            let user_is_token = (token.len() >= 20
                && crate::secrets::tokens::looks_like_secret_value(token))
                || !context.catalog.tokens.scan(token).is_empty();
            let mut secrets: Vec<Span> = Vec::new();
            if user_is_token {
                secrets.push(Span::new(user.start(), user.end()));
            }
            if let Some(password) = password {
                secrets.push(Span::new(password.start(), password.end()));
            }
            // The password when there is one, else the token.
            let Some(&span) = secrets.last() else {
                continue;
            };
            let index = instruction_at(context, span.start);
            let message = if user_is_token {
                "a URL holds a token as its user name".to_string()
            } else {
                format!("a URL holds the password of user `{}`", user.as_str())
            };
            let mut builder = context
                .finding(&Self::META, index, span)
                .severity(Severity::Error)
                .message(message)
                .label("credential in a URL")
                .help("Revoke this credential; pass the URL or token at build time as a secret: `RUN --mount=type=secret,id=…,env=… <command>`");
            for secret in secrets {
                builder = builder.secret(secret);
            }
            findings.push(builder.build());
        }
    }
}

/// Passwords that services document for "the user name is the token":
/// GitHub's `x-oauth-basic`, or a bare `x`. A URL with one of them
/// carries no password of its own.
fn is_token_password_marker(password: &str) -> bool {
    let lower = password.to_ascii_lowercase();
    lower == "x" || lower == "x-oauth-basic"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credentials(text: &str) -> Vec<(String, Option<String>)> {
        URL_CREDENTIALS
            .captures_iter(text)
            .map(|captures| {
                (
                    captures[1].to_string(),
                    captures
                        .get(2)
                        .map(|password| password.as_str().to_string()),
                )
            })
            .collect()
    }

    #[test]
    fn finds_user_and_password() {
        assert_eq!(
            credentials("git clone https://bob:hunter22@example.com/x.git"),
            [("bob".into(), Some("hunter22".into()))]
        );
        assert_eq!(
            credentials("https://oauth2:abc@gitlab.com"),
            [("oauth2".into(), Some("abc".into()))]
        );
        assert!(credentials("git@github.com:org/repo.git").is_empty());
        assert!(credentials("https://example.com/a@b").is_empty());
    }

    #[test]
    fn placeholders_are_not_passwords() {
        assert!(crate::secrets::tokens::is_placeholder("<password>"));
        assert!(crate::secrets::tokens::is_placeholder("****"));
        assert!(!crate::secrets::tokens::is_placeholder("hunter22"));
    }
}
