#!/usr/bin/env python3
"""gen_stories.py - a labelled set of news write-ups for the stories benchmark.

    gen_stories.py DIR [EVENTS_PER_KIND]

Writes DIR/stories.xml (one RSS 2.0 feed, items in publication order) and DIR/labels.tsv
(link, event, pair, kind). Every event is one of a kind (an earthquake, a celebrity entering
rehab, an award-show host named, a takeover, a transfer, an election, a storm, a factory
fire, a rate decision, a resignation), has its own people, places, organisations and
figures, and is written up by 2 to 6 outlets, each choosing its own facts, phrasings, order
and title; one write-up in ten is republished by another outlet as a wire copy. Events come
in look-alike pairs: two of the same kind, starting within 48 hours of each other, so that
shared vocabulary alone cannot tell them apart. Names are invented here (places are taken
from the entities plugin's gazetteer, so they are typed as places); the prose is this file's.
Seeded: every run writes the same bytes.
"""

import random
import sys
from email.utils import formatdate
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[2]
START = 1_780_000_000
OUTLETS = ("Harbor Wire", "Daily Meridian", "The Northern Post", "Capital Ledger",
	   "Evening Courier", "Global Dispatch", "Valley Gazette", "Metro Chronicle",
	   "Coastal Times Online", "The Independent Review", "Summit Herald", "Plains Journal")
FIRST = ("Adrian Beatrix Cosmin Delia Emil Fenna Goran Hilde Ivo Jana Kasimir Lotte Mirek "
	 "Nadia Orin Paola Quentin Rosa Stellan Tamsin Ulric Vera Wendel Xenia Yorick Zora "
	 "Anselm Brielle Corvin Dagny Elio Freya Gideon Halina Ilan Jorunn").split()
SYLLABLES = "vor ka len dri mas tel bro vin sar lo quen dal mir tos ev rath hol pen zu gar".split()


def surname(rng):
	return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def person(rng):
	return "%s %s" % (rng.choice(FIRST), surname(rng))


def places():
	names = []
	for line in (ROOT / "conf" / "gazetteers" / "places.txt").read_text().splitlines():
		line = line.strip()
		if line and not line.startswith("#") and " " not in line:
			names.append(line)
	return names


def org(rng, ending):
	return "%s %s" % (surname(rng), ending)


# Each kind: how to draw an event's facts, title forms, fact sentences (each in several
# phrasings) and the stock sentences every story of the kind tends to carry.
KINDS = {
	"quake": dict(
		facts=lambda rng, P: dict(place=rng.choice(P), town=surname(rng), mag="%.1f" %
			rng.uniform(5.8, 7.9), dead=rng.randint(4, 300), hurt=rng.randint(20, 900),
			official="President " + person(rng), agency=org(rng, "Agency")),
		titles=("Magnitude {mag} earthquake strikes {place}, {dead} dead",
			"Quake kills {dead} in {place}",
			"{place} earthquake: rescuers search rubble in {town}",
			"Death toll rises to {dead} after {place} quake"),
		sentences=(("A magnitude {mag} earthquake struck {place} on {day}, killing at least {dead} people.",
			    "At least {dead} people died when an earthquake of magnitude {mag} hit {place}.",
			    "{place} was shaken by a {mag}-magnitude quake that left {dead} people dead."),
			   ("The worst damage was in {town}, where old buildings collapsed.",
			    "In {town}, rescuers dug through the rubble of collapsed homes.",
			    "Homes in the town of {town} were flattened."),
			   ("{hurt} people were injured, the {agency} said.",
			    "The {agency} counted {hurt} injured.",
			    "More than {hurt} people were hurt, according to the {agency}."),
			   ("{official} sent the army to help with the rescue.",
			    "{official} promised emergency funds for the victims.",
			    "{official} visited {town} and declared three days of mourning.")),
		stock=("Aftershocks were expected for days.", "Seismologists warned of further tremors.",
		       "Rescue teams worked through the night.", "Families slept outdoors for fear of aftershocks.")),
	"rehab": dict(
		facts=lambda rng, P: dict(star=person(rng), show=surname(rng) + " " +
			rng.choice(("Nights", "Road", "House", "Lights")), age=rng.randint(24, 61),
			rep=person(rng), dates=rng.randint(5, 40), city=rng.choice(P)),
		titles=("{star} enters rehab, {show} on hold", "{star} checks into treatment facility",
			"{show} star {star} seeks treatment", "{star} in rehab: what we know"),
		sentences=(("{star} has entered a treatment programme for addiction, a representative said.",
			    "{star}, {age}, checked into rehab this week.",
			    "The {show} star {star} is receiving treatment for addiction."),
			   ("Work on {show} has been paused.", "Production of {show} is on hold.",
			    "{show} will not resume until {star} is ready."),
			   ("\"We ask for privacy,\" spokesperson {rep} said.",
			    "{rep}, who speaks for the star, confirmed the news.",
			    "The statement came from publicist {rep}."),
			   ("{dates} appearances, including one in {city}, were cancelled.",
			    "Fans in {city} were told {dates} dates would be refunded.",
			    "The cancelled {dates} shows include {city}.")),
		stock=("Fans posted messages of support.", "Co-stars wished the star a quick recovery.",
		       "The star has spoken before about past struggles.", "Tickets will be refunded.")),
	"host": dict(
		facts=lambda rng, P: dict(host=person(rng), show=rng.choice(("Oscars", "Grammys", "Emmys",
			"Golden Globes", "BAFTAs", "Tony Awards")) + " " + surname(rng), edition=rng.randint(30, 99),
			venue=surname(rng) + " Theatre", boss="chief executive " + person(rng),
			year=rng.randint(2027, 2029)),
		titles=("{host} to host the {show}", "{show} names comedian {host} as host",
			"Comedian {host} lands {show} hosting job", "{host} will lead {edition}th {show}"),
		sentences=(("Comedian {host} will host the {edition}th {show}, organisers announced.",
			    "The {show} have picked {host} as host of the {edition}th ceremony.",
			    "{host} was named host of the {show}."),
			   ("The ceremony takes place at the {venue} in {year}.",
			    "The show will be held at the {venue} early in {year}.",
			    "It returns to the {venue} in {year}."),
			   ("{boss} praised the choice.", "{boss} called {host} a natural.",
			    "\"We wanted someone fearless,\" said {boss}."),
			   ("{host} joked about rehearsing an acceptance face.",
			    "{host} said it was a dream come true.",
			    "{host} promised a short show.")),
		stock=("The host will open the ceremony with a monologue.", "Ratings have fallen in recent years.",
		       "Nominations will be announced later.", "Previous hosts have had mixed reviews.")),
	"takeover": dict(
		facts=lambda rng, P: dict(buyer=org(rng, "Group"), target=org(rng, "Corporation"),
			bn=rng.randint(2, 90), ceo="CEO " + person(rng), city=rng.choice(P),
			jobs=rng.randint(500, 20000)),
		titles=("{buyer} agrees to buy {target} for ${bn} billion", "{buyer} to acquire {target}",
			"${bn}bn deal: {target} sold to {buyer}", "{target} accepts {buyer} takeover"),
		sentences=(("{buyer} agreed to buy {target} for ${bn} billion.",
			    "{target} will be acquired by {buyer} in a ${bn} billion deal.",
			    "The ${bn} billion takeover of {target} by {buyer} was announced."),
			   ("{ceo} said the deal would create a stronger company.",
			    "The deal was welcomed by {ceo}.", "{ceo} called it a perfect fit."),
			   ("{target} employs {jobs} people, many in {city}.",
			    "Unions in {city} fear for {jobs} jobs.",
			    "{jobs} staff, largely based in {city}, await details.")),
		stock=("The deal needs approval from regulators.", "Shares rose in early trading.",
		       "Analysts said the price was high.", "The deal is expected to close next year.")),
	"transfer": dict(
		facts=lambda rng, P: dict(player=person(rng), seller=surname(rng) + " FC",
			buyer=surname(rng) + " United", fee=rng.randint(15, 150), years=rng.randint(3, 6),
			coach="coach " + person(rng)),
		titles=("{player} joins {buyer} from {seller}", "{buyer} sign {player} for {fee}m",
			"Record deal takes {player} to {buyer}", "{seller} sell {player} in {fee}m move"),
		sentences=(("{buyer} signed {player} from {seller} for a fee of {fee} million.",
			    "{player} completed a {fee} million move from {seller} to {buyer}.",
			    "{seller} sold striker {player} to {buyer} for {fee} million."),
			   ("He signed a {years}-year contract.", "The deal runs for {years} years.",
			    "{player} agreed terms until {years} seasons from now."),
			   ("{coach} said the signing was a statement.", "{coach} welcomed the new striker.",
			    "\"He scores goals,\" said {coach}.")),
		stock=("The player passed a medical on the weekend.", "Fans gathered outside the stadium.",
		       "The fee could rise with add-ons.", "He was unveiled in front of supporters.")),
	"election": dict(
		facts=lambda rng, P: dict(country=rng.choice(P), winner=person(rng),
			party=org(rng, "Party"), share=rng.randint(38, 61), turnout=rng.randint(45, 80),
			rival=person(rng)),
		titles=("{winner} wins {country} presidential election", "{country} elects {winner}",
			"{party} candidate {winner} claims victory in {country}",
			"{rival} concedes as {winner} wins {country} vote"),
		sentences=(("{winner} of the {party} won the presidential election in {country} with {share}% of the vote.",
			    "Voters in {country} elected {winner}, who took {share}% of the vote.",
			    "{winner} won {country}'s election with {share}%."),
			   ("Turnout was {turnout}%.", "Some {turnout}% of voters cast a ballot.",
			    "Officials put turnout at {turnout}%."),
			   ("{rival} conceded defeat.", "The runner-up, {rival}, accepted the result.",
			    "{rival} congratulated the winner.")),
		stock=("Observers said the vote was orderly.", "Supporters celebrated in the streets.",
		       "The inauguration is due next month.", "The campaign focused on the economy.")),
	"storm": dict(
		facts=lambda rng, P: dict(region=rng.choice(P), storm="Storm " + rng.choice(FIRST),
			dead=rng.randint(2, 80), evacuated=rng.randint(2, 90) * 1000,
			official="Governor " + person(rng), river=surname(rng) + " River"),
		titles=("{storm} kills {dead} in {region}", "Thousands flee as {storm} hits {region}",
			"{region} floods: {river} bursts its banks", "{storm}: {evacuated} evacuated"),
		sentences=(("{storm} swept across {region}, killing {dead} people.",
			    "At least {dead} people died as {storm} hit {region}.",
			    "{region} counted {dead} dead after {storm}."),
			   ("{evacuated} people were evacuated.", "Authorities moved {evacuated} residents.",
			    "Some {evacuated} people left their homes."),
			   ("The {river} burst its banks.", "Floodwater from the {river} covered roads.",
			    "The {river} rose to a record level."),
			   ("{official} declared a state of emergency.", "{official} asked for federal help.",
			    "{official} urged people to stay indoors.")),
		stock=("Power was cut to many homes.", "Schools were closed.", "More rain is forecast.",
		       "Emergency shelters opened overnight.")),
	"fire": dict(
		facts=lambda rng, P: dict(city=rng.choice(P), firm=org(rng, "Company"),
			dead=rng.randint(3, 60), chief="fire chief " + person(rng), hours=rng.randint(3, 30)),
		titles=("Factory fire kills {dead} in {city}", "Blaze at {firm} plant leaves {dead} dead",
			"{city} factory fire: {dead} workers killed", "Fire at {firm} site in {city}"),
		sentences=(("A fire at a {firm} factory in {city} killed {dead} workers.",
			    "{dead} people died when fire broke out at the {firm} plant in {city}.",
			    "Fire tore through the {firm} factory in {city}, killing {dead}."),
			   ("It took {hours} hours to put out.", "Firefighters needed {hours} hours.",
			    "The blaze burned for {hours} hours."),
			   ("{chief} said the exits were blocked.", "{chief} blamed faulty wiring.",
			    "According to {chief}, the alarm failed.")),
		stock=("An investigation has been opened.", "Relatives waited outside the gates.",
		       "Safety inspections had been criticised.", "The injured were taken to hospital.")),
	"rates": dict(
		facts=lambda rng, P: dict(bank=org(rng, "Bank"), country=rng.choice(P),
			rate="%.2f" % rng.uniform(0.5, 9.0), votes="%d-%d" % rng.choice(((5, 4), (6, 3), (7, 2))),
			governor="Governor " + person(rng)),
		titles=("{bank} holds rates at {rate}%", "{country} central bank keeps rate at {rate}%",
			"{bank} leaves borrowing costs unchanged", "Split {votes} vote at {bank}"),
		sentences=(("The {bank} of {country} kept its key rate at {rate}%.",
			    "{country}'s central bank, the {bank}, left rates at {rate}%.",
			    "Rates in {country} stay at {rate}%, the {bank} said."),
			   ("The committee voted {votes}.", "The decision was split {votes}.",
			    "Members voted {votes} to hold."),
			   ("{governor} said inflation was easing.", "{governor} warned about wage growth.",
			    "{governor} said cuts could come later.")),
		stock=("Markets had expected the decision.", "The currency was little changed.",
		       "Economists expect a cut later in the year.", "Inflation remains above target.")),
	"resignation": dict(
		facts=lambda rng, P: dict(minister=person(rng), post=rng.choice(("health", "finance",
			"interior", "transport", "education")), country=rng.choice(P),
			pm="Prime Minister " + person(rng), firm=org(rng, "Group")),
		titles=("{country} {post} minister {minister} resigns", "{minister} quits over {firm} row",
			"{pm} accepts resignation of {minister}", "Minister {minister} steps down"),
		sentences=(("{minister}, {country}'s {post} minister, resigned.",
			    "The {post} minister of {country}, {minister}, stepped down.",
			    "{minister} quit as {post} minister."),
			   ("The resignation followed reports about contracts with {firm}.",
			    "{minister} had faced questions over {firm}.",
			    "Contracts awarded to {firm} were at the centre of the row."),
			   ("{pm} accepted the resignation.", "{pm} thanked {minister} for their work.",
			    "{pm} will name a successor soon.")),
		stock=("Opposition parties had demanded the resignation.", "The minister denied wrongdoing.",
		       "An inquiry will continue.", "A reshuffle is expected.")),
}
DAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
# What news copy says around the facts: context sentences over the words of the kind of event,
# so that two events of one kind share most of their vocabulary, as real ones do.
VOCABULARY = {
	"quake": "earthquake quake tremor aftershock rubble rescue epicentre magnitude seismic "
		 "collapse buildings survivors",
	"rehab": "addiction treatment recovery rehab publicist statement fans privacy "
		 "programme health support career",
	"host": "ceremony host awards nominations monologue stage audience comedian academy "
		"ratings broadcast telecast",
	"takeover": "deal takeover acquisition shareholders regulators merger shares price "
		    "investors board premium bid",
	"transfer": "transfer fee striker club contract season medical supporters squad "
		    "midfield signing goals",
	"election": "election vote ballot candidate campaign turnout results polls runoff "
		    "voters parliament coalition",
	"storm": "storm flooding rain winds evacuation shelters emergency damage rivers "
		 "forecast power roads",
	"fire": "fire blaze factory workers firefighters smoke exits safety inspection "
		"investigation hospital victims",
	"rates": "inflation interest rates bank committee economy growth wages currency "
		 "markets borrowing outlook",
	"resignation": "minister resignation scandal government inquiry opposition contracts "
		       "cabinet reshuffle allegations party successor",
}
CONTEXT = ("Officials said the {0} would be reviewed once the {1} was clear.",
	   "The {0} comes as concern grows over the {1} and the {2}.",
	   "Experts said the {0} showed how much the {1} still matters.",
	   "Local media reported more details about the {0} and the {1} late on the day.",
	   "It is not the first time the {0} has raised questions about the {1}.",
	   "Critics pointed to the {0}, while supporters stressed the {1}.",
	   "The {0} was the main topic across the country, with the {1} close behind.",
	   "Further updates on the {0} and the {2} are expected.",
	   "Analysts said the {1} would shape what happens next with the {0}.",
	   "The {2} remains uncertain, officials said.")


def context_sentences(rng, kind, count):
	words = VOCABULARY[kind].split()
	return [rng.choice(CONTEXT).format(*rng.sample(words, 3)) for _ in range(count)]


def write_up(rng, kind, facts, event_time):
	"""One outlet's article: a title, 3-6 sentences in its own choice and order."""
	spec = KINDS[kind]
	values = dict(facts, day=DAYS[(event_time // 86400) % 7])
	chosen = rng.sample(spec["sentences"], rng.randint(max(2, len(spec["sentences"]) - 1),
							   len(spec["sentences"])))
	lines = [rng.choice(forms).format(**values) for forms in chosen[:1]]
	rest = [rng.choice(forms).format(**values) for forms in chosen[1:]]
	rest += rng.sample(spec["stock"], rng.randint(1, 3))
	rest += context_sentences(rng, kind, rng.randint(3, 7))
	rng.shuffle(rest)
	paragraphs = [" ".join(lines + rest[:2])] + [" ".join(rest[i:i + 2]) for i in
						     range(2, len(rest), 2)]
	return rng.choice(spec["titles"]).format(**values), paragraphs


def events(rng, per_kind):
	place_names = places()
	made = []
	for kind in sorted(KINDS):
		for pair in range(per_kind // 2):
			first = START + rng.randint(0, 9 * 86400)
			for member in range(2):
				start = first + (rng.randint(0, 48 * 3600) if member else 0)
				made.append(dict(kind=kind, pair="%s-%d" % (kind, pair), start=start,
						 facts=KINDS[kind]["facts"](rng, place_names),
						 id="%s-%d-%d" % (kind, pair, member)))
	return made


def items(rng, made):
	out = []
	for event in made:
		for number, outlet in enumerate(rng.sample(OUTLETS, rng.randint(2, 6))):
			when = event["start"] + (0 if number == 0 else int(rng.expovariate(1 / 36000)))
			title, paragraphs = write_up(rng, event["kind"], event["facts"], event["start"])
			link = "https://%s.example/%s-%d" % (outlet.lower().replace(" ", "-"),
							     event["id"], number)
			out.append(dict(event=event, outlet=outlet, time=when, title=title,
					paragraphs=paragraphs, link=link))
			if rng.random() < 0.1:	# a wire copy, republished by another outlet
				other = rng.choice([o for o in OUTLETS if o != outlet])
				out.append(dict(event=event, outlet=other, time=when + rng.randint(300, 7200),
						title=title, paragraphs=paragraphs + ["Distributed by %s." % outlet],
						link="https://%s.example/copy-%s-%d" % (
						    other.lower().replace(" ", "-"), event["id"], number)))
	return sorted(out, key=lambda item: (item["time"], item["link"]))


def rss(all_items):
	parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
		 'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
		 'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
		 '<title>Stories benchmark</title><link>https://bench.example/</link>'
		 '<description>labelled write-ups</description>\n']
	for item in all_items:
		body = "".join("<p>%s</p>" % escape(p) for p in item["paragraphs"])
		parts.append("<item><title>%s</title><link>%s</link><guid>%s</guid>"
			     "<pubDate>%s</pubDate><dc:creator>%s</dc:creator>"
			     "<content:encoded><![CDATA[%s]]></content:encoded></item>\n" % (
			     escape(item["title"]), item["link"], item["link"],
			     formatdate(item["time"], usegmt=True), escape(item["outlet"]), body))
	parts.append("</channel></rss>\n")
	return "".join(parts)


def main():
	directory = Path(sys.argv[1])
	per_kind = int(sys.argv[2]) if len(sys.argv) > 2 else 16
	rng = random.Random(15)
	made = events(rng, per_kind)
	all_items = items(rng, made)
	directory.mkdir(parents=True, exist_ok=True)
	(directory / "stories.xml").write_text(rss(all_items))
	(directory / "labels.tsv").write_text("".join("%s\t%s\t%s\t%s\n" % (
	    item["link"], item["event"]["id"], item["event"]["pair"], item["event"]["kind"])
	    for item in all_items))
	print("generated events=%d articles=%d" % (len(made), len(all_items)))


if __name__ == "__main__":
	main()
