//! The fluent messages of one language, from the FTL compiled into the binary: the
//! receipt's (`receipt.ftl`) and the web page's (`web.ftl`, every id starting `web-`).

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use unic_langid::LanguageIdentifier;

use super::{Lang, LocaleError};

fn source(lang: Lang) -> &'static str {
    match lang {
        Lang::En => concat!(
            include_str!("../../locales/en/receipt.ftl"),
            "\n",
            include_str!("../../locales/en/web.ftl")
        ),
        Lang::ZhCn => concat!(
            include_str!("../../locales/zh-CN/receipt.ftl"),
            "\n",
            include_str!("../../locales/zh-CN/web.ftl")
        ),
        Lang::PtBr => concat!(
            include_str!("../../locales/pt-BR/receipt.ftl"),
            "\n",
            include_str!("../../locales/pt-BR/web.ftl")
        ),
    }
}

pub(crate) struct Messages {
    bundle: FluentBundle<FluentResource>,
    ids: Vec<String>,
}

impl Messages {
    pub(crate) fn new(lang: Lang) -> Result<Messages, LocaleError> {
        let error = |message: String| LocaleError::Messages {
            lang: lang.tag(),
            message,
        };
        let text = source(lang);
        let resource = FluentResource::try_new(text.to_string())
            .map_err(|(_, errors)| error(format!("does not parse: {errors:?}")))?;
        let langid: LanguageIdentifier = lang.tag().parse().map_err(|e| error(format!("{e}")))?;
        let mut bundle = FluentBundle::new_concurrent(vec![langid]);
        // Unicode isolation marks (U+2068/U+2069) around arguments are invisible in a
        // browser but become stray glyphs or boxes in PDF text.
        bundle.set_use_isolating(false);
        bundle
            .add_resource(resource)
            .map_err(|errors| error(format!("duplicate or bad messages: {errors:?}")))?;
        let ids = message_ids(text);
        if let Some(id) = ids
            .iter()
            .find(|id| bundle.get_message(id).and_then(|m| m.value()).is_none())
        {
            return Err(error(format!("message {id:?} has no value")));
        }
        Ok(Messages { bundle, ids })
    }

    pub(crate) fn has(&self, id: &str) -> bool {
        self.bundle.has_message(id)
    }

    pub(crate) fn ids(&self) -> impl Iterator<Item = &str> {
        self.ids.iter().map(String::as_str)
    }

    pub(crate) fn format(&self, id: &str, args: Option<&FluentArgs>) -> String {
        let Some(pattern) = self.bundle.get_message(id).and_then(|m| m.value()) else {
            return id.to_string();
        };
        // A missing argument is rendered by fluent as `{$name}`: visible on the page, and
        // the tests build every message the receipt uses.
        let mut errors = Vec::new();
        self.bundle
            .format_pattern(pattern, args, &mut errors)
            .into_owned()
    }
}

/// The ids of the messages defined in FTL `text`: an identifier at the start of a line
/// followed by `=`. Terms (`-name`), comments and indented continuation lines never start
/// that way. (fluent-bundle does not expose its syntax tree types, so the
/// one line of grammar that defines a message start is read here.)
fn message_ids(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| {
            let (name, _) = line.split_once('=')?;
            let name = name.trim_end();
            let mut chars = name.chars();
            let starts_well = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
            let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            (starts_well && rest_ok).then(|| name.to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_are_read_from_line_starts_only() {
        let ftl = "# comment = not\n-brand = Term\ntitle = Refund\nmulti =\n    line = not an id\nsel = { $x ->\n   *[a] A\n}\n";
        assert_eq!(message_ids(ftl), ["title", "multi", "sel"]);
    }

    #[test]
    fn every_language_parses_and_every_message_has_a_value() {
        for lang in Lang::ALL {
            let m = Messages::new(lang).unwrap();
            assert!(m.ids().count() > 20, "{lang}");
        }
    }
}
