"""The demo newsroom behind `cms seed-demo`: enough believable content for a frontend
or app developer to build against on day one without writing any.

It is the newsroom of the Kyiv Ledger, an invented outlet. Everything in it is
fiction: the reporters, the people quoted, the companies, groups and newspapers
cited, the small towns and every number. Real places are used only as settings.
No statement is attributed to a real person or a real publication, and every link
points at an example.* domain.

The content lives in the data structures at the bottom of this module, the loading
code above them, so that an editor can rewrite a story without reading any code.
Times are given relative to `now`, so the demo always looks fresh: published
stories spread over the three days before `now`, the newest a breaking update
pinned to the top of the feed.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from tortoise.transactions import in_transaction

from cms.accounts.actor import SYSTEM
from cms.articles.models import Article, BodyFormat
from cms.articles.service import (
    ArticleFields,
    SourceInput,
    create_article,
    publish_article,
)
from cms.authors.models import Author, AuthorKind
from cms.authors.service import AuthorFields, Link, create_author
from cms.feed.models import FeedItem, FeedItemKind
from cms.feed.service import FeedItemFields, create_feed_item, publish_feed_item
from cms.videos.service import VideoFields, create_video_embed, publish_video_embed

__all__ = ["seed_demo"]


# --- The shape of the content ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LinkSeed:
    """A link on an author's profile (`Author.links`)."""

    label: str
    url: str


@dataclass(frozen=True, slots=True)
class AuthorSeed:
    """A byline: the desk or a reporter."""

    key: str  # how articles refer to this author below
    name: str
    kind: AuthorKind
    title: str
    bio: str
    links: tuple[LinkSeed, ...] = ()


@dataclass(frozen=True, slots=True)
class SourceSeed:
    """An attribution shown with a story: who it relies on."""

    name: str
    url: str | None


@dataclass(frozen=True, slots=True)
class ArticleSeed:
    """One story, in English, as an editor would enter it."""

    key: str  # how translations and the video refer to this article
    title: str
    dek: str
    paragraphs: tuple[str, ...]  # Markdown blocks, joined by blank lines into the body
    authors: tuple[str, ...]  # AuthorSeed keys, in byline order
    tags: tuple[str, ...]
    sources: tuple[SourceSeed, ...]
    hours_ago: float | None = None  # before `now`, for published articles

    @property
    def body(self) -> str:
        """The Markdown source, as stored in `Article.body_source`."""
        return "\n\n".join(self.paragraphs)


@dataclass(frozen=True, slots=True)
class TranslationSeed:
    """The same story in another language: bylines, tags and sources are the original's."""

    of: str  # ArticleSeed key
    language: str
    title: str
    dek: str
    paragraphs: tuple[str, ...]
    hours_ago: float


@dataclass(frozen=True, slots=True)
class VideoSeed:
    """A video report, entered by its watch URL like any editor would."""

    watch_url: str
    title: str
    description: str
    duration_seconds: int
    hours_ago: float
    article: str  # ArticleSeed key of the story it is embedded in


@dataclass(frozen=True, slots=True)
class UpdateSeed:
    """A short live-news item in the feed, with no article behind it."""

    headline: str
    summary: str
    minutes_ago: int
    pinned: bool = False
    breaking: bool = False


# --- Loading ---------------------------------------------------------------------------


async def seed_demo(*, now: datetime) -> bool:
    """Load the demo newsroom, all of it or nothing, in one transaction, through the
    same services editors use (so it is validated, rendered, revised and indexed
    like any other content).

    Returns False, having written nothing, when any author, article or feed item
    already exists: the demo is for an empty newsroom and must never mix with, or
    duplicate, real content.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    async with in_transaction():
        if await _has_content():
            return False
        await _Loader(now).load()
    return True


async def _has_content() -> bool:
    for model in (Author, Article, FeedItem):
        if await model.all().exists():
            return True
    return False


class _Loader:
    """Writes the module's content as the system actor, oldest first."""

    def __init__(self, now: datetime) -> None:
        self._now = now
        self._authors: dict[str, int] = {}
        self._articles: dict[str, int] = {}
        self._video_of_article: dict[str, int] = {}

    async def load(self) -> None:
        for author in AUTHORS:
            await self._author(author)
        await self._video(VIDEO)
        for seed in sorted(PUBLISHED_ARTICLES, key=lambda s: -(s.hours_ago or 0)):
            assert seed.hours_ago is not None, f"published article {seed.key} needs hours_ago"
            published_at = self._now - timedelta(hours=seed.hours_ago)
            article_id = await self._article(seed, written_at=published_at - timedelta(minutes=45))
            await self._publish(article_id, published_at)
        for translation in TRANSLATIONS:
            original = _ARTICLES_BY_KEY[translation.of]
            published_at = self._now - timedelta(hours=translation.hours_ago)
            article_id = await self._article(
                dataclasses.replace(
                    original,
                    key=f"{original.key}-{translation.language}",
                    title=translation.title,
                    dek=translation.dek,
                    paragraphs=translation.paragraphs,
                ),
                written_at=published_at - timedelta(minutes=45),
                language=translation.language,
                translation_of_id=self._articles[translation.of],
            )
            await self._publish(article_id, published_at)
        await self._article(DRAFT_ARTICLE, written_at=self._now - timedelta(hours=3))
        scheduled = await self._article(
            SCHEDULED_ARTICLE, written_at=self._now - timedelta(hours=5)
        )
        await self._publish(scheduled, self._now + SCHEDULED_IN)
        for update in UPDATES:
            item = await create_feed_item(
                actor=SYSTEM,
                fields=FeedItemFields(
                    kind=FeedItemKind.UPDATE,
                    headline=update.headline,
                    summary=update.summary,
                    pinned=update.pinned,
                    breaking=update.breaking,
                ),
            )
            await publish_feed_item(
                actor=SYSTEM,
                item_id=item.id,
                publish_at=self._now - timedelta(minutes=update.minutes_ago),
                now=self._now,
            )

    async def _author(self, seed: AuthorSeed) -> None:
        author = await create_author(
            actor=SYSTEM,
            fields=AuthorFields(
                name=seed.name,
                kind=seed.kind,
                title=seed.title,
                bio=seed.bio,
                links=[Link(label=link.label, url=link.url) for link in seed.links],
            ),
        )
        self._authors[seed.key] = author.id

    async def _article(
        self,
        seed: ArticleSeed,
        *,
        written_at: datetime,
        language: str = "en",
        translation_of_id: int | None = None,
    ) -> int:
        video = self._video_of_article.get(seed.key)
        article = await create_article(
            actor=SYSTEM,
            fields=ArticleFields(
                title=seed.title,
                dek=seed.dek,
                body=seed.body,
                body_format=BodyFormat.MARKDOWN,
                author_ids=[self._authors[key] for key in seed.authors],
                tags=list(seed.tags),
                video_ids=[video] if video is not None else [],
                sources=[SourceInput(name=s.name, url=s.url) for s in seed.sources],
                language=language,
                translation_of_id=translation_of_id,
            ),
            now=written_at,
        )
        self._articles[seed.key] = article.id
        return article.id

    async def _publish(self, article_id: int, at: datetime) -> None:
        await publish_article(
            actor=SYSTEM, article_id=article_id, publish_at=at, add_to_feed=True, now=self._now
        )

    async def _video(self, seed: VideoSeed) -> None:
        video = await create_video_embed(
            actor=SYSTEM,
            fields=VideoFields(
                url=seed.watch_url,
                title=seed.title,
                description=seed.description,
                duration_seconds=seed.duration_seconds,
            ),
        )
        await publish_video_embed(
            actor=SYSTEM,
            video_id=video.id,
            publish_at=self._now - timedelta(hours=seed.hours_ago),
            add_to_feed=True,
            now=self._now,
        )
        self._video_of_article[seed.article] = video.id


# --- The content -----------------------------------------------------------------------

OUTLET_NAME: Final = "Kyiv Ledger"

# Invented outlets, agencies and groups cited as sources. All fictional.
_WIRE: Final = SourceSeed("Eastbridge Wire", "https://example.com/eastbridge-wire")
_TRIBUNE: Final = SourceSeed(
    "The Aldmere Tribune",
    "https://example.com/aldmere-tribune/defence/consortium-nears-interceptor-deal",
)

AUTHORS: Final[tuple[AuthorSeed, ...]] = (
    AuthorSeed(
        key="desk",
        name="News desk",
        kind=AuthorKind.DESK,
        title="News desk",
        bio=(
            f"The {OUTLET_NAME} news desk follows the news around the clock and compiles "
            "wire reports and live updates."
        ),
        links=(LinkSeed("Contact the desk", "https://example.org/kyiv-ledger/desk"),),
    ),
    AuthorSeed(
        key="verbytska",
        name="Olena Verbytska",
        kind=AuthorKind.PERSON,
        title="Defence correspondent",
        bio=(
            "Olena Verbytska covers the war, air defence and the lives of people in "
            "frontline towns. Before joining the Ledger she reported from the south of "
            "Ukraine for a regional television channel. She is based in Kyiv."
        ),
        links=(LinkSeed("Website", "https://example.org/olena-verbytska"),),
    ),
    AuthorSeed(
        key="hnatiuk",
        name="Taras Hnatiuk",
        kind=AuthorKind.PERSON,
        title="Energy and economy reporter",
        bio=(
            "Taras Hnatiuk writes about the power grid, exports and how businesses keep "
            "going under attack. He trained as an electrical engineer and spent five years "
            "at a business weekly."
        ),
        links=(LinkSeed("Portfolio", "https://example.org/taras-hnatiuk"),),
    ),
)

PUBLISHED_ARTICLES: Final[tuple[ArticleSeed, ...]] = (
    ArticleSeed(
        key="air-defence",
        title="Air defence downs 41 of 46 drones in overnight attack on Kyiv region",
        dek=(
            "Falling debris damaged two houses in a village south of the capital; "
            "no one was hurt, civil-protection officials said."
        ),
        paragraphs=(
            "Air-defence units brought down 41 of the 46 attack drones launched overnight, "
            "most of them over Kyiv region, according to the regional civil-protection "
            "service. The alert in the capital lasted almost four hours.",
            "Debris from one drone fell on the village of Kalynivka-Pole, damaging the "
            "roofs of two houses and a shed. Nobody was injured, said Serhii Danylenko, "
            "a civil-protection spokesman for the district.",
            '> "The mobile fire groups did most of the work tonight," Danylenko said. '
            '"Most of the drones were hit before they reached the city."',
            "Mobile fire groups, small teams with heavy machine guns and searchlights "
            "mounted on pickup trucks, have become the backbone of the defence against "
            "cheap drones, which are too numerous to meet with expensive missiles.",
            "Five drones were not intercepted; two of them were lost from radar, most "
            f"likely to electronic warfare, the service said. The {OUTLET_NAME} could not "
            "independently verify the figures.",
            "*Watch our video report from a night with one of the crews below.*",
        ),
        authors=("verbytska", "desk"),
        tags=("Air defence", "Kyiv region"),
        sources=(_WIRE,),
        hours_ago=1.0,
    ),
    ArticleSeed(
        key="grid-repairs",
        title="Repair crews restore power to 200,000 homes after strike on substation",
        dek=(
            "Engineers worked through the night in Kharkiv region; rolling outages will "
            "continue for at least a week."
        ),
        paragraphs=(
            "Power has been restored to about 200,000 homes in Kharkiv region, a day after "
            "a missile strike knocked out a high-voltage substation, the regional grid "
            "operator Pivnichenerho said. Hospitals and water pumping stations were "
            "reconnected first.",
            "About 60 engineers worked through the night under the threat of repeat "
            "strikes. Some of the equipment came from a reserve that had been kept in "
            "storage since last winter, the company said.",
            '> "We rebuilt the connection around the damaged transformer rather than wait '
            "for a new one,\" said Halyna Ostapchuk, Pivnichenerho's chief dispatcher. "
            '"It is a temporary scheme, and it is fragile."',
            "Until a replacement transformer is installed, the region will stay on rolling "
            "outage schedules of up to four hours a day. Residents can check their group's "
            "schedule on the operator's website and in its chatbot.",
            "Energy analysts say the grid has become more resilient since the first winter "
            "of attacks, with more distributed generation and better-protected substations, "
            "but that each repair takes longer as spare parts run short.",
        ),
        authors=("hnatiuk",),
        tags=("Energy", "Kharkiv region"),
        sources=(SourceSeed("Pivnichenerho", "https://example.net/pivnichenerho/outages"),),
        hours_ago=3.0,
    ),
    ArticleSeed(
        key="evacuation",
        title="Last evacuation bus leaves Verkhnia Kruta as shelling draws closer",
        dek=(
            "About 300 residents remain in the town, most of them elderly; volunteers say "
            "they will keep coming for as long as the road is open."
        ),
        paragraphs=(
            "The last scheduled evacuation bus left Verkhnia Kruta in Donetsk region this "
            "morning with 38 passengers, as artillery fire reached the outskirts of the town "
            "for the first time. Local authorities have ordered families with children "
            "to leave.",
            "About 300 residents remain, most of them elderly people who say they cannot "
            "leave their homes or their animals. Volunteers from Light Road, an evacuation "
            "group, say they will keep driving in by minivan as long as the road is passable.",
            "> \"Every week someone who told us 'never' calls and asks to be picked up,\" "
            "said Andrii Kovalenko, who coordinates the group's drivers. "
            '"We want them to call while the road is still open."',
            "Evacuees are taken to a transit centre further west, where they are "
            "registered, given a hot meal and offered free housing. Most then travel on "
            "by train to other regions.",
            "The town had about 11,000 people before the full-scale invasion. Its hospital "
            "closed last month, and the last shop stopped taking deliveries this week.",
        ),
        authors=("verbytska",),
        tags=("Evacuation", "Donetsk region"),
        sources=(SourceSeed("Light Road", "https://example.org/light-road"),),
        hours_ago=5.5,
    ),
    ArticleSeed(
        key="interceptor-deal",
        title="European consortium nears deal to supply air-defence missiles, newspaper reports",
        dek=(
            "The Aldmere Tribune, which first reported the talks, says a contract could be "
            "signed within weeks. Neither side has confirmed it."
        ),
        paragraphs=(
            "A European defence consortium is close to a deal to supply Ukraine with several "
            "hundred short-range air-defence missiles, The Aldmere Tribune reported, citing "
            "three people familiar with the negotiations.",
            "According to the newspaper, the contract with Halvard Missile Systems would be "
            "financed jointly by several governments, and deliveries would begin early next "
            f"year. The {OUTLET_NAME} has not seen the documents and could not independently "
            "confirm the report.",
            'Halvard declined to comment on what it called "speculation about contracts". '
            "A company spokeswoman, Ingrid Vass, said it had expanded production this year "
            "but gave no details.",
            "If confirmed, the deal would be among the largest for short-range interceptors, "
            "which are used against drones and cruise missiles and are in short supply.",
            f"*This wire report was compiled by the {OUTLET_NAME} news desk from the "
            "reporting of The Aldmere Tribune and Eastbridge Wire. It will be updated.*",
        ),
        authors=("desk",),
        tags=("Weapons", "Diplomacy"),
        sources=(_TRIBUNE, _WIRE),
        hours_ago=8.0,
    ),
    ArticleSeed(
        key="grain",
        title="Grain shipments from Odesa ports reach highest level since spring",
        dek=(
            "Exporters shipped 4.1 million tonnes last month despite attacks on port "
            "infrastructure, a cargo-tracking service says."
        ),
        paragraphs=(
            "Ukraine's Black Sea ports shipped 4.1 million tonnes of grain and oilseeds last "
            "month, the highest monthly volume since spring, according to Black Sea Cargo "
            "Monitor, an independent service that tracks ship movements.",
            "Wheat made up just over half of the total, followed by corn and sunflower meal. "
            "Most cargoes went to ports in the Mediterranean, North Africa and Asia.",
            "The increase came despite repeated drone attacks on port infrastructure around "
            "Odesa, which damaged two grain terminals and a warehouse. Insurance rates for "
            "ships calling at the ports have eased slightly, traders say.",
            '> "Ship owners watch the security situation week by week," said Ivan Melnyk, '
            'an analyst at Black Sea Cargo Monitor. "A quiet month brings more ships; '
            'one bad night can undo it."',
            "Farmers say the sea corridor is vital for paying off the loans they took for "
            "the sowing season, but logistics still eat up a large part of their margins.",
        ),
        authors=("hnatiuk",),
        tags=("Exports", "Agriculture", "Odesa"),
        sources=(
            SourceSeed("Black Sea Cargo Monitor", "https://example.org/cargo-monitor/monthly"),
        ),
        hours_ago=12.0,
    ),
    ArticleSeed(
        key="medics",
        title="The volunteer medics who drive into the last kilometre",
        dek=(
            "A team of six paramedics evacuates wounded soldiers and civilians from villages "
            "near the front line. They have three ambulances and one rule: never go alone."
        ),
        paragraphs=(
            "The ambulance leaves at dusk, when drones are harder to fly and harder to spot. "
            "Inside are two paramedics from First Hour, a volunteer group that evacuates the "
            "wounded from villages a few kilometres from the front line.",
            "The group has six medics, three ambulances bought with donations and one rule: "
            "**never go alone**. A second car always follows at a distance, in case the first "
            "is hit or breaks down on a road full of craters.",
            '> "The first hour decides almost everything," said Natalia Bondar, a former '
            'intensive-care nurse who founded the group. "If we can stop the bleeding and '
            'get them to a surgeon in that time, most of them live."',
            "Most of their patients are soldiers, but they also carry civilians wounded by "
            "shelling and people who need dialysis, insulin or oxygen that is no longer "
            "available where they live.",
            "The team relies entirely on donations. Fuel is the biggest cost, Bondar said, "
            "followed by:",
            "- tourniquets and dressings;\n- tyres, which rarely last a month;\n- spare radios.",
        ),
        authors=("verbytska",),
        tags=("Health", "Volunteers"),
        sources=(SourceSeed("First Hour", "https://example.org/first-hour"),),
        hours_ago=16.0,
    ),
    ArticleSeed(
        key="boilers",
        title="Cities install modular boiler rooms ahead of the heating season",
        dek=(
            "Smaller units spread across districts are harder to knock out than one large "
            "plant, municipal engineers say."
        ),
        paragraphs=(
            "More than 40 towns and cities have installed modular boiler rooms in recent "
            "months to keep hospitals, schools and apartment blocks warm if their central "
            "heating plants are hit, according to the Teplo Cities Network, an association "
            "of municipal heat suppliers.",
            "The units, each about the size of a shipping container, can heat several "
            "apartment buildings and run on gas or diesel. Spread across a city, they mean "
            "that a single strike can no longer leave a whole district without heat.",
            '> "Big plants are efficient in peacetime and a single point of failure in war," '
            "said Yurii Sydorenko, the network's technical director. "
            '"We are trading some efficiency for survival."',
            "The programme is paid for from municipal budgets and grants from international "
            "partners. Engineers say the bottleneck is no longer equipment but connecting the "
            "units to old pipe networks.",
            "The heating season usually starts in mid-October, once the average daily "
            "temperature stays below 8°C for three days in a row.",
        ),
        authors=("hnatiuk",),
        tags=("Energy", "Cities"),
        sources=(SourceSeed("Teplo Cities Network", "https://example.org/teplo-cities"),),
        hours_ago=22.0,
    ),
    ArticleSeed(
        key="underground-school",
        title="Kharkiv opens another underground school as pupils return to classrooms",
        dek="The school, built six metres below a playground, has room for 900 children.",
        paragraphs=(
            "A new school built six metres underground opened in Kharkiv this week, letting "
            "900 children study in person, in two shifts, rather than online, where many of "
            "the city's pupils have spent most of their school years since the invasion.",
            "The classrooms have their own ventilation, backup power and water supply, and "
            "the school doubles as a shelter for nearby residents at night. Lessons go on "
            "during air-raid alerts.",
            '> "For the first time in a long while my daughter comes home and talks about '
            'her friends, not about her screen," said Iryna Tkachenko, whose daughter is in '
            "the fifth grade.",
            "Teachers say pupils who studied online for long periods have gaps in "
            "mathematics and reading, and that a classroom matters as much for their social "
            "lives as for their lessons.",
            "The city plans to open two more underground schools before the end of the year, "
            "according to Slobozhanshchyna Education Watch, a parents' group that tracks "
            "the programme.",
        ),
        authors=("verbytska", "hnatiuk"),
        tags=("Education", "Kharkiv region"),
        sources=(
            SourceSeed("Slobozhanshchyna Education Watch", "https://example.org/education-watch"),
        ),
        hours_ago=30.0,
    ),
    ArticleSeed(
        key="demining",
        title="Deminers clear 1,200 hectares of farmland in Kherson region",
        dek=(
            "Farmers will sow winter wheat on the fields for the first time in three years. "
            "Thousands more hectares are still waiting."
        ),
        paragraphs=(
            "Demining teams have cleared about 1,200 hectares of farmland in Kherson region "
            "over the summer, allowing farmers to sow winter wheat there for the first time "
            "in three years, the Clear Fields Foundation said.",
            "The teams found and destroyed more than 2,000 explosive items, most of them "
            "artillery shells and anti-tank mines. Each field was checked with metal "
            "detectors and armoured machines and, in places, by trained dogs.",
            '> "Every hectare we hand back is a hectare someone can live from again," said '
            "Mykola Lysenko, who leads the foundation's field teams.",
            "Farmers pay nothing for the work, which is funded by donors. The foundation "
            "gives priority to land close to villages and to fields where farmers have "
            "been hurt.",
            "Clearing all the contaminated land is expected to take many years. Until then, "
            "farmers are urged not to work any field that has not been certified safe.",
        ),
        authors=("hnatiuk",),
        tags=("Demining", "Agriculture", "Kherson region"),
        sources=(SourceSeed("Clear Fields Foundation", "https://example.org/clear-fields/report"),),
        hours_ago=38.0,
    ),
    ArticleSeed(
        key="night-train",
        title="Night train to Zaporizhzhia returns after track repairs",
        dek=(
            "The service was suspended for nine days after a strike damaged the line. "
            "Journeys take about an hour longer than before."
        ),
        paragraphs=(
            "The overnight train between Kyiv and Zaporizhzhia is running again after nine "
            "days of repairs to a stretch of track damaged in a strike, said Oleh Savchuk, "
            "a spokesman for the regional rail directorate.",
            "Trains will run at reduced speed over the repaired section until the embankment "
            "settles, adding about an hour to the journey. Tickets are on sale online and at "
            "station ticket offices.",
            "Rail crews have grown used to repairing track within days of an attack. For many "
            "people in frontline regions the railway is the only reliable way to travel: the "
            "airports are closed and the roads are slow and dangerous.",
            "While the line was closed, passengers were taken by bus between the two "
            "stations on either side of the damaged section.",
            f"*Compiled by the {OUTLET_NAME} news desk with material from Eastbridge Wire.*",
        ),
        authors=("desk",),
        tags=("Transport", "Zaporizhzhia"),
        sources=(_WIRE,),
        hours_ago=47.0,
    ),
    ArticleSeed(
        key="drone-workshop",
        title="Crowdfunded drone workshop doubles its output with donated 3D printers",
        dek=(
            "A volunteer workshop in a former furniture factory now builds 400 "
            "reconnaissance drones a month."
        ),
        paragraphs=(
            "A volunteer workshop in a former furniture factory in central Ukraine has "
            "doubled its output of reconnaissance drones to about 400 a month, after donors "
            "paid for a dozen new 3D printers.",
            "The workshop, run by the Open Workshop Collective, employs 30 people, most of "
            "them engineers and students. Units request drones through a waiting list.",
            '> "Every unit wants drones yesterday," said Dmytro Kravets, the collective\'s '
            'co-founder. "The printers let us make frames in hours instead of waiting weeks '
            'for parts."',
            "The collective buys electronics in bulk and tests every drone before it is "
            "handed over. It publishes a monthly report of donations and spending.",
            "Volunteer workshops like this one supply a large share of the small drones used "
            "at the front, alongside state contracts with bigger manufacturers.",
        ),
        authors=("verbytska",),
        tags=("Volunteers", "Defence industry"),
        sources=(
            SourceSeed("Open Workshop Collective", "https://example.org/open-workshop/reports"),
        ),
        hours_ago=58.0,
    ),
    ArticleSeed(
        key="cafes",
        title="Kyiv cafés keep serving through blackouts with battery banks and generators",
        dek=(
            "Owners say backup power has paid off: customers come to work, charge their "
            "phones and get warm."
        ),
        paragraphs=(
            "When the lights go out in Kyiv, the espresso machines in many of the city's "
            "cafés keep running. Owners have spent thousands of dollars on battery banks, "
            "inverters and generators to stay open through scheduled and emergency outages.",
            "A survey of 500 small businesses in the capital by the Kyiv Small Business "
            "Forum found that three in four now have some form of backup power, up from one "
            "in four two years ago.",
            '> "During outages we are full from morning to night," said Oksana Lytvyn, who '
            'runs a coffee shop in Podil. "People come to work, charge their phones and '
            'warm up. The batteries paid for themselves in one winter."',
            "Generators are noisy and costly to run, and many owners have switched to "
            "lithium batteries charged while the grid is on. Some have added solar panels "
            "on their roofs.",
            "Business associations are asking the city to simplify permits for rooftop "
            "solar and to allow larger battery systems in residential buildings.",
        ),
        authors=("hnatiuk",),
        tags=("Energy", "Kyiv", "Business"),
        sources=(SourceSeed("Kyiv Small Business Forum", "https://example.org/ksbf/survey"),),
        hours_ago=69.0,
    ),
)

_ARTICLES_BY_KEY: Final = {seed.key: seed for seed in PUBLISHED_ARTICLES}

TRANSLATIONS: Final[tuple[TranslationSeed, ...]] = (
    TranslationSeed(
        of="grid-repairs",
        language="uk",
        title="Ремонтники повернули світло у 200 тисяч домівок після удару по підстанції",
        dek=(
            "Енергетики працювали всю ніч на Харківщині; графіки відключень діятимуть "
            "щонайменше тиждень."
        ),
        paragraphs=(
            "Світло повернули приблизно у 200 тисяч домівок на Харківщині — через добу після "
            "ракетного удару, який вивів з ладу високовольтну підстанцію, повідомив "
            "регіональний оператор мережі «Північенерго». Першими підключили лікарні та "
            "водонасосні станції.",
            "Близько 60 енергетиків працювали всю ніч під загрозою повторних ударів. Частину "
            "обладнання взяли з резервного запасу, який зберігали з минулої зими, повідомили "
            "в компанії.",
            "> «Ми перебудували з'єднання в обхід пошкодженого трансформатора, а не чекали "
            "на новий», — сказала головна диспетчерка «Північенерго» Галина Остапчук. "
            "«Це тимчасова схема, і вона крихка».",
            "Доки не встановлять новий трансформатор, у регіоні діятимуть графіки "
            "відключень — до чотирьох годин на добу. Свою чергу мешканці можуть перевірити "
            "на сайті оператора та в його чат-боті.",
            "Енергетичні аналітики кажуть, що з першої зими атак мережа стала стійкішою "
            "завдяки розподіленій генерації та кращому захисту підстанцій, але кожен ремонт "
            "триває довше, бо бракує запчастин.",
        ),
        hours_ago=2.0,
    ),
)

# Written, not published: must never be visible to the public.
DRAFT_ARTICLE: Final = ArticleSeed(
    key="fuel-reserves-draft",
    title="Winter fuel reserves: what the numbers show",
    dek="DRAFT: waiting for the figures from the regional administrations.",
    paragraphs=(
        "Gas storage is fuller than a year ago, but coal and diesel reserves vary widely "
        "between regions, according to figures collected by the Ledger.",
        "**TODO:** add the table once the last three regions have replied.",
        "Municipal engineers say that reserves matter less than the ability to move fuel "
        "quickly to where a strike has cut supply.",
        "*Check every number with the energy desk before publication.*",
    ),
    authors=("hnatiuk",),
    tags=("Energy",),
    sources=(SourceSeed("Teplo Cities Network", "https://example.org/teplo-cities"),),
)

# Goes live SCHEDULED_IN after `now`; until then as invisible as a draft.
SCHEDULED_IN: Final = timedelta(days=2)
SCHEDULED_ARTICLE: Final = ArticleSeed(
    key="alerts-explainer",
    title="Explainer: how air-raid alerts decide which regions to warn",
    dek="Why your phone sounds the alarm when the neighbouring region's does not.",
    paragraphs=(
        "Air-raid alerts are declared region by region, and increasingly district by "
        "district, depending on where a missile or drone is heading.",
        "## Who decides",
        "Alerts are raised on the basis of radar data and reports from observation posts, "
        "then passed to sirens, phone apps and television within seconds.",
        "## Why alerts sometimes seem late",
        "Fast missiles can cover the distance to a city in a few minutes, leaving little "
        "time between detection and impact. That is why officials urge people to take every "
        "alert seriously.",
        "A longer alert does not always mean a bigger attack: drones are slow, and "
        "an alert stays on until every one has been tracked or shot down.",
    ),
    authors=("verbytska",),
    tags=("Air defence", "Explainers"),
    sources=(_WIRE,),
)

VIDEO: Final = VideoSeed(
    # An invented id in the watch URL form editors paste most often.
    watch_url="https://www.youtube.com/watch?v=Rk4vTq9LmZc",
    title="With a mobile air-defence crew south of Kyiv",
    description=(
        "Our defence correspondent spent a night with a mobile fire group that hunts attack "
        "drones with a heavy machine gun and a searchlight."
    ),
    duration_seconds=318,
    hours_ago=1.5,
    article="air-defence",
)

# The live feed's short items. The newest is the breaking one pinned to the top.
UPDATES: Final[tuple[UpdateSeed, ...]] = (
    UpdateSeed(
        headline="Air-raid alert across Kyiv and eastern regions",
        summary=(
            "An air-raid alert has been declared in Kyiv and nine regions after missile "
            "launches were reported. Residents are urged to go to shelters and stay there "
            "until the all-clear."
        ),
        minutes_ago=4,
        pinned=True,
        breaking=True,
    ),
    UpdateSeed(
        headline="Power back in two Kyiv districts",
        summary=(
            "Emergency outages in two districts on the left bank have ended. "
            "Scheduled outages continue as planned."
        ),
        minutes_ago=95,
    ),
    UpdateSeed(
        headline="Night train to Zaporizhzhia leaves on time",
        summary="The first overnight service since the repairs left Kyiv on schedule, full.",
        minutes_ago=270,
    ),
    UpdateSeed(
        headline="Drone debris starts warehouse fire in Kyiv region",
        summary=(
            "Debris from a downed drone set fire to a warehouse in a village south of the "
            "capital. Firefighters put it out within an hour; no one was hurt."
        ),
        minutes_ago=480,
    ),
    UpdateSeed(
        headline="Kharkiv schools switch to remote learning for the day",
        summary=(
            "Schools in Kharkiv moved lessons online after a night of attacks. "
            "Underground schools are open as usual."
        ),
        minutes_ago=1100,
    ),
    UpdateSeed(
        headline="Grain ship leaves Odesa with 40,000 tonnes of wheat",
        summary="A bulk carrier left a port near Odesa with wheat bound for North Africa.",
        minutes_ago=1560,
    ),
    UpdateSeed(
        headline="Blood drive in Dnipro passes its target",
        summary=(
            "More than 1,200 people gave blood during a three-day drive in Dnipro, "
            "organisers said. The blood will go to frontline hospitals."
        ),
        minutes_ago=2400,
    ),
)
