//! The web as the synthetic filter sees it: host names per category and how often each
//! kind of user runs into each category.
//!
//! Every host name is under the reserved `.example` top-level domain (RFC 2606), so the
//! data can never point anyone at a real site, least of all for the harmful categories,
//! while still reading like a filter log. Lists are in order of popularity: callers pick
//! from them with Zipf-like weights, so a few sites dominate each category as they do in
//! real logs.

use safelake_schemas::events::WebCategory::{self, *};

pub fn domains(category: WebCategory) -> &'static [&'static str] {
    match category {
        AdultContent => &[
            "www.velvetvids.example",
            "hotclips.example",
            "cdn.nightcams.example",
            "m.peachpics.example",
            "xtube-free.example",
            "www.afterdark-gallery.example",
        ],
        Gambling => &[
            "www.spinwin-casino.example",
            "betquick.example",
            "m.luckyodds.example",
            "slots-palace.example",
            "cardsharp-poker.example",
            "www.scratchcard-wins.example",
        ],
        Extremism => &[
            "truthawakening.example",
            "www.the-rising-voice.example",
            "nationfirst-forum.example",
            "purewaymedia.example",
        ],
        SelfHarm => {
            &["darkroom-forum.example", "www.lowtide-boards.example", "hollow-diary.example", "nightthoughts.example"]
        }
        Violence => &["fightclips.example", "www.shockvid.example", "streetbrawl-tv.example", "gorefeed.example"],
        Weapons => {
            &["bladeshop-direct.example", "www.tactical-gear.example", "knifeworld.example", "airsoft-arms.example"]
        }
        Drugs => &[
            "greenleaf-shop.example",
            "www.highsociety-forum.example",
            "vapeclouds.example",
            "partypills-info.example",
        ],
        Hate => &["www.uncensored-talk.example", "chan-board.example", "rage-memes.example", "www.truthboards.example"],
        IllegalIwf => &["restricted-0917.example", "restricted-2231.example", "restricted-4410.example"],
        MalwarePhishing => &[
            "login-verify-account.example",
            "secure-update-check.example",
            "free-gems-now.example",
            "www.prize-claim-centre.example",
            "cdn.trackpix.example",
            "parcel-redelivery.example",
        ],
        ProxyVpnBypass => &[
            "unblocked-games-66.example",
            "www.hidemyhop.example",
            "proxyfree.example",
            "tunnelfox-vpn.example",
            "schoolproxy.example",
            "www.unblockit.example",
            "croxy-lite.example",
            "mirror-gate.example",
        ],
        SocialMedia => &[
            "www.snapgram.example",
            "tiktube.example",
            "chirper.example",
            "m.facespace.example",
            "pinwall.example",
            "threadly.example",
            "honestsnap.example",
        ],
        Messaging => &[
            "web.chatwave.example",
            "guildchat.example",
            "whisper-msg.example",
            "web.teleline.example",
            "anon-chat.example",
        ],
        Gaming => &[
            "www.blockcraft.example",
            "play.brickverse.example",
            "pixelquest.example",
            "unblocked-arcade.example",
            "cdn.battleroyale-io.example",
            "coolmathgamez.example",
            "slither-arena.example",
            "quickplay-games.example",
            "skins-trade.example",
        ],
        Streaming => &[
            "www.vidstream.example",
            "m.tubeflix.example",
            "live.twitchy.example",
            "animeland.example",
            "livecast.example",
            "music-stream.example",
        ],
        FileSharing => &["dropbin.example", "fileshare-now.example", "www.megafiles.example", "transfer-it.example"],
        Shopping => &[
            "www.shopmart.example",
            "deals-daily.example",
            "m.fashionhub.example",
            "sneaker-drops.example",
            "auction-house.example",
        ],
        Dating => &["www.meetlocal.example", "swipe-date.example", "lovematch.example"],
        AiChatbot => &[
            "chat.openmind-ai.example",
            "www.talkbot.example",
            "ai-companion.example",
            "homework-ai.example",
            "characterchat.example",
            "imagegen-ai.example",
            "essaywriter-ai.example",
        ],
        SearchUnsafe => &["images.searchit.example", "www.findall.example", "nofilter-search.example"],
        Piracy => &["free-movies-hd.example", "www.torrentbay.example", "stream-free-tv.example", "manga-free.example"],
        Cryptocurrency => &["coinflip-exchange.example", "www.cryptominer-web.example", "nftdrops.example"],
        Advertising => &[
            "ads.clickserve.example",
            "tracker.adpixel.example",
            "cdn.popunder.example",
            "banners.admix.example",
            "pixel.retarget.example",
        ],
        Uncategorised => &[
            "new-site-3829.example",
            "blog.unknownhost.example",
            "cdn.static-assets.example",
            "www.randompage.example",
            "portal-7741.example",
        ],
        Other => {
            &["www.misc-portal.example", "forum.general.example", "www.clickbait-news.example", "quiz-world.example"]
        }
    }
}

/// Zipf-like weights for a list of `n` domains in order of popularity.
pub fn zipf(n: usize) -> impl Iterator<Item = (usize, f64)> {
    (0..n).map(|i| (i, 1.0 / (i as f64 + 1.0).powf(1.1)))
}

/// Who is browsing: the category mix differs a lot between a Year 9 and a Year 2 or a
/// member of staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Browser {
    PrimaryPupil,
    SecondaryPupil,
    Staff,
    Guest,
}

/// Relative frequency of blocked or flagged requests per category.
pub fn filter_weight(browser: Browser, category: WebCategory) -> f64 {
    use Browser::*;
    let [primary, secondary, staff, guest]: [f64; 4] = match category {
        SocialMedia => [8.0, 22.0, 12.0, 20.0],
        Gaming => [30.0, 18.0, 1.0, 8.0],
        Streaming => [18.0, 12.0, 10.0, 20.0],
        ProxyVpnBypass => [2.0, 8.0, 0.2, 0.5],
        Messaging => [3.0, 7.0, 4.0, 8.0],
        Advertising => [14.0, 7.0, 25.0, 15.0],
        AiChatbot => [2.0, 4.0, 5.0, 2.0],
        Shopping => [4.0, 4.0, 12.0, 10.0],
        Uncategorised => [5.0, 4.0, 10.0, 6.0],
        SearchUnsafe => [5.0, 2.5, 0.5, 0.5],
        FileSharing => [0.5, 2.0, 7.0, 3.0],
        Piracy => [0.5, 2.0, 0.3, 1.0],
        MalwarePhishing => [2.0, 1.5, 8.0, 4.0],
        Gambling => [0.2, 1.2, 0.5, 2.0],
        AdultContent => [0.4, 1.0, 0.1, 0.5],
        Violence => [0.4, 0.5, 0.05, 0.1],
        Dating => [0.05, 0.4, 0.3, 1.0],
        Drugs => [0.05, 0.4, 0.05, 0.2],
        Weapons => [0.05, 0.25, 0.05, 0.1],
        Hate => [0.05, 0.2, 0.02, 0.1],
        SelfHarm => [0.03, 0.15, 0.01, 0.02],
        Extremism => [0.01, 0.06, 0.01, 0.02],
        Cryptocurrency => [0.1, 0.6, 1.0, 0.5],
        IllegalIwf => [0.002, 0.01, 0.002, 0.005],
        Other => [2.0, 1.5, 4.0, 3.0],
    };
    match browser {
        PrimaryPupil => primary,
        SecondaryPupil => secondary,
        Staff => staff,
        Guest => guest,
    }
}

/// Share of matches that the filter lets through but flags for review rather than blocks.
pub fn flag_share(category: WebCategory) -> f64 {
    match category {
        SearchUnsafe => 0.4,
        AiChatbot => 0.35,
        SocialMedia | Messaging => 0.15,
        Streaming | Uncategorised => 0.1,
        IllegalIwf => 0.0,
        _ => 0.05,
    }
}

/// Reasons staff give when they ask for a site in `category` to be unblocked, with
/// `{yg}` standing for a year group. None may hold personal data, so they are composed
/// from fixed parts only.
pub fn unblock_reasons(category: WebCategory, secondary: bool) -> &'static [&'static str] {
    match (category, secondary) {
        (Streaming, true) => &[
            "{yg} history lesson uses a documentary on this site",
            "{yg} English lesson uses a short film hosted here",
            "{yg} science revision videos",
            "Careers session: employer video for {yg}",
        ],
        (Streaming, false) => &[
            "{yg} music lesson listening activity",
            "{yg} science lesson video on the water cycle",
            "Whole-school assembly video",
        ],
        (SocialMedia, _) => &[
            "{yg} computing lesson on how recommendation feeds work",
            "{yg} PSHE lesson on online safety needs examples from this site",
            "School sports fixtures are posted on this account",
        ],
        (AiChatbot, _) => &[
            "Staff CPD session on generative AI in the classroom",
            "{yg} computing lesson comparing answers from AI chatbots",
            "Lesson planning with the trust's approved AI tool",
        ],
        (Gaming, _) => &[
            "{yg} computing lesson on game design",
            "Maths fluency games for {yg}",
            "Reward time for {yg} at the end of term",
        ],
        (FileSharing, _) => &[
            "{yg} geography fieldwork data is shared through this site",
            "Moderation samples shared by the exam board",
            "Partner school shares planning here",
        ],
        (Messaging, _) => &["Video call with a partner school abroad", "Residential trip updates for parents"],
        _ => &[
            "{yg} research project on this topic",
            "Resource for a {yg} lesson wrongly categorised",
            "School council project research for {yg}",
        ],
    }
}

pub const RULE_REASONS: &[&str] = &[
    "New proxy site seen in the weekly filtering report",
    "Reported by staff as unsuitable for pupils",
    "Category review by the DSL and IT lead",
    "Trust filtering policy update",
    "Pupils reached the site through an unblocked mirror",
    "Site no longer needed after the end of the unit",
    "Annual filtering and monitoring review",
    "Requested by the head of year after an incident",
];

#[cfg(test)]
mod tests {
    use super::*;
    use safelake_schemas::events::ContractEnum;

    #[test]
    fn every_category_has_lowercase_example_domains() {
        for &category in WebCategory::ALL {
            let list = domains(category);
            assert!(!list.is_empty());
            for d in list {
                assert!(
                    d.ends_with(".example")
                        && d.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-'),
                    "{d}"
                );
            }
            assert!([Browser::PrimaryPupil, Browser::SecondaryPupil, Browser::Staff, Browser::Guest]
                .iter()
                .all(|&b| filter_weight(b, category) > 0.0));
        }
    }
}
