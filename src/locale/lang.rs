//! The receipt languages and how a requested language tag is matched to one of them.

use std::fmt;
use std::str::FromStr;

use super::LocaleError;

/// A language receipts are offered in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lang {
    /// English (CLDR `en`: US-style dates, `$` for USD).
    En,
    /// Chinese in Simplified script, as used in mainland China.
    ZhCn,
    /// Portuguese as used in Brazil.
    PtBr,
}

/// The offered tags, as an error message lists them.
pub(crate) const OFFERED: &str = "en, zh-CN, pt-BR";

impl Lang {
    /// Every offered language, in the order the tool lists them.
    pub const ALL: [Lang; 3] = [Lang::En, Lang::ZhCn, Lang::PtBr];

    /// The BCP 47 tag: `en`, `zh-CN`, `pt-BR`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhCn => "zh-CN",
            Lang::PtBr => "pt-BR",
        }
    }

    /// Position in [`Lang::ALL`], for per-language tables.
    pub(crate) fn index(self) -> usize {
        match self {
            Lang::En => 0,
            Lang::ZhCn => 1,
            Lang::PtBr => 2,
        }
    }

    /// Matches one requested tag (`en-US`, `zh_Hans_CN`, `PT-br`, ...) to an offered language.
    ///
    /// English is accepted with any region: the receipt text is the same for every English
    /// reader. Chinese only in Simplified script (`zh`, `zh-CN`, `zh-SG`, `zh-Hans-*`): a
    /// Traditional-script reader (`zh-TW`, `zh-Hant`) would get the wrong script, so that is
    /// refused rather than guessed. Portuguese only as `pt` or `pt-BR`: the wording follows
    /// Brazilian usage (`estorno`), which a `pt-PT` reader would not expect unasked.
    pub fn negotiate(requested: &str) -> Result<Lang, LocaleError> {
        let not_offered = || LocaleError::NotOffered {
            requested: requested.trim().to_string(),
        };
        let Some(tag) = Subtags::parse(requested) else {
            return Err(not_offered());
        };
        let script = tag.script.as_deref();
        let region = tag.region.as_deref();
        let lang = match tag.language.as_str() {
            "en" if matches!(script, None | Some("latn")) => Lang::En,
            "zh" => match (script, region) {
                (Some("hans"), _) => Lang::ZhCn,
                (None, None | Some("cn") | Some("sg")) => Lang::ZhCn,
                _ => return Err(not_offered()),
            },
            "pt" if matches!(script, None | Some("latn"))
                && matches!(region, None | Some("br")) =>
            {
                Lang::PtBr
            }
            _ => return Err(not_offered()),
        };
        Ok(lang)
    }

    /// The best offered language of an HTTP `Accept-Language` value such as
    /// `fr-CH, fr;q=0.9, pt-BR;q=0.8, *;q=0.1`: the entry with the highest q-value that
    /// [`Lang::negotiate`] accepts (earlier entries win ties). `*` stands for any language and
    /// picks English. Entries with `q=0` or a malformed q-value are ignored.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut entries: Vec<(u16, Lang)> = Vec::new();
        for item in header.split(',') {
            let mut parts = item.split(';');
            let range = parts.next().unwrap_or("").trim();
            if range.is_empty() {
                continue;
            }
            let mut quality = Some(1000);
            for param in parts {
                let Some((key, value)) = param.split_once('=') else {
                    continue;
                };
                if key.trim().eq_ignore_ascii_case("q") {
                    quality = parse_quality(value.trim());
                }
            }
            let Some(quality) = quality.filter(|q| *q > 0) else {
                continue;
            };
            let lang = if range == "*" {
                Some(Lang::En)
            } else {
                Lang::negotiate(range).ok()
            };
            if let Some(lang) = lang {
                entries.push((quality, lang));
            }
        }
        // Stable: among equal q-values the header's order decides.
        entries.sort_by_key(|&(quality, _)| std::cmp::Reverse(quality));
        entries.first().map(|(_, lang)| *lang)
    }

    /// Parses a comma-separated list such as `en,zh-CN,pt-BR` (or `all`), each entry as
    /// [`Lang::negotiate`]. Duplicates are dropped, the first occurrence keeps its place.
    pub fn parse_list(list: &str) -> Result<Vec<Lang>, LocaleError> {
        let mut langs = Vec::new();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let found: &[Lang] = if item.eq_ignore_ascii_case("all") {
                &Lang::ALL
            } else {
                &[Lang::negotiate(item)?]
            };
            for lang in found {
                if !langs.contains(lang) {
                    langs.push(*lang);
                }
            }
        }
        if langs.is_empty() {
            return Err(LocaleError::NoLanguage);
        }
        Ok(langs)
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag())
    }
}

impl FromStr for Lang {
    type Err = LocaleError;

    fn from_str(s: &str) -> Result<Lang, LocaleError> {
        Lang::negotiate(s)
    }
}

/// A q-value (`0`, `0.8`, `1.000`) in thousandths; `None` when it is not one.
fn parse_quality(value: &str) -> Option<u16> {
    let (int, frac) = value.split_once('.').unwrap_or((value, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = frac
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(3)
        .fold(0u16, |acc, b| acc * 10 + u16::from(b - b'0'));
    match int {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// The parts of a language tag that matter for matching, lower-cased.
struct Subtags {
    language: String,
    script: Option<String>,
    region: Option<String>,
}

impl Subtags {
    /// `language[-script][-region]`, `_` or `-` between them. Anything else (variants,
    /// extensions, a malformed subtag) gives `None`: no offered language needs them, and
    /// silently dropping them could match a tag the user did not mean.
    fn parse(tag: &str) -> Option<Subtags> {
        let lower = tag.trim().to_ascii_lowercase().replace('_', "-");
        let mut parts = lower.split('-');
        let language = parts.next()?;
        if !(2..=3).contains(&language.len()) || !language.bytes().all(|b| b.is_ascii_alphabetic())
        {
            return None;
        }
        let mut script = None;
        let mut region = None;
        for part in parts {
            let alpha = part.bytes().all(|b| b.is_ascii_alphabetic());
            let digits = part.bytes().all(|b| b.is_ascii_digit());
            if part.len() == 4 && alpha && script.is_none() && region.is_none() {
                script = Some(part.to_string());
            } else if ((part.len() == 2 && alpha) || (part.len() == 3 && digits))
                && region.is_none()
            {
                region = Some(part.to_string());
            } else {
                return None;
            }
        }
        Some(Subtags {
            language: language.to_string(),
            script,
            region,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q_values_are_read_in_thousandths() {
        assert_eq!(parse_quality("1"), Some(1000));
        assert_eq!(parse_quality("1.000"), Some(1000));
        assert_eq!(parse_quality("0.8"), Some(800));
        assert_eq!(parse_quality("0.125"), Some(125));
        assert_eq!(parse_quality("0"), Some(0));
        for bad in ["1.5", "2", "0.1234", "x", "", "-0.5"] {
            assert_eq!(parse_quality(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn subtags_refuse_variants_and_junk() {
        assert!(Subtags::parse("en-US-posix").is_none());
        assert!(Subtags::parse("e").is_none());
        assert!(Subtags::parse("en--US").is_none());
        assert!(Subtags::parse("zh-CN-Hans").is_none());
        let t = Subtags::parse("zh_Hans_CN").unwrap();
        assert_eq!(
            (
                t.language.as_str(),
                t.script.as_deref(),
                t.region.as_deref()
            ),
            ("zh", Some("hans"), Some("cn"))
        );
    }
}
