"""The sentence shapes behind the step-1 wording checks, as compiled patterns, and the parts they share.

Each shape says where a word of a class (flows/coaching/wordclasses.py) turns a sentence into a
judgement: a trait after "you are", a feeling after "I'm", a verb of the mind after "you", ...
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from flows.coaching import wordclasses as wc
from flows.coaching.wordclasses import alt

I = re.IGNORECASE
COPULA = (r"(?:\s*'re|\s*'s|\s+are|\s+were|\s+was|\s+is|\s+seems?|\s+seemed|\s+appears?|\s+appeared"
          r"|\s+looks?|\s+looked|\s+sounds?|\s+sounded|\s+comes? across as|\s+came across as|\s*'ve become"
          r"|\s+have become|\s+has become|\s+becomes?|\s+became|\s*'re being|\s+are being|\s+is being"
          r"|\s+can be|\s+could be|\s+tends? to be|\s+have been|\s*'ve been|\s+has been|\s+get|\s+got"
          r"|\s+remain|\s+remains)")
MODS = (r"(?:\s+(?:so|such|too|really|very|pretty|quite|a bit|a little|way|just|incredibly|extremely|"
        r"rather|kind of|sort of|honestly|frankly|far|often|always|sometimes|generally|clearly|"
        r"obviously|simply|totally|completely|utterly|absolutely|seriously|genuinely|bloody|"
        r"massively|hugely|a|an|such a|a real|a total|a complete|an absolute|a bit of a|bit of a|"
        r"something of a|a little bit|fairly|somewhat|still|also|now|getting|increasingly|"
        r"consistently|rather a|quite a|the|one of the|a pretty|a very|a really|becoming))*")
# The same grading words without articles: after "a"/"the" comes a noun ("a day late", "a speaker").
ADV_MODS = (r"(?:\s+(?:so|too|really|very|pretty|quite|a bit|a little|way|just|incredibly|extremely|rather|"
            r"kind of|sort of|honestly|frankly|far|often|always|sometimes|generally|clearly|obviously|simply|"
            r"totally|completely|utterly|absolutely|seriously|genuinely|bloody|massively|hugely|fairly|"
            r"somewhat|still|also|now|getting|increasingly|consistently|becoming|not))*")
SPEAKER = r"(?:i|i'm|i am|i've|i have|i was|i feel|i felt|me)"



@dataclass(frozen=True)
class Finding:
    """One problem found: its kind, the user's words that show it, and where they start and end."""

    kind: str
    quote: str
    start: int
    end: int


def clause_start(t: str, at: int) -> int:
    """Where the clause holding position `at` begins (after the last full stop, semicolon, ", and")."""
    # a clause is short: looking back a few hundred characters keeps long pasted text linear
    window = max(0, at - 300)
    last = window
    for m in re.finditer(r"[.;!?]\s|,\s+(?:and|but)\s|^", t[window:at]):
        last = window + m.end()
    return last


def simple(kind: str, t: str, patterns: list[re.Pattern[str]]) -> list[Finding]:
    """A finding of `kind` for every match of the named group `q` of any pattern."""
    return [Finding(kind, m.group("q"), m.start("q"), m.end("q")) for pattern in patterns for m in pattern.finditer(t)]


# The rep's name is replaced by this letter, repeated to the same length, before matching
# (flows/coaching/wording.py), so the patterns are compiled once for every rep.
REP_MARK = "Ṙ"
REP_WORDS = [r"you", r"he", r"she", r"the rep", REP_MARK + "+"]


@lru_cache(maxsize=1)
def patterns() -> dict[str, list[re.Pattern[str]]]:
    """Every pattern, compiled once; the rep's name (marked) stands beside "you" as the person judged."""
    rep_words = REP_WORDS
    subj = r"\b" + alt(rep_words)
    trait = alt(wc.TRAITS_ANYWHERE + wc.TRAITS_OF_PERSON)
    states = alt(wc.STATES)
    person = r"(?!" + alt(wc.NOT_PERSON_ER) + r"\b)" + alt(wc.PERSON_NOUNS)
    sup = (r"(?:(?:most|least|more|less)\s+(?!senior\b|junior\b|recent\b|tenured\b)[\w-]+|(?!(?:interest|request|honest|modest|rest|test|west|latest|biggest|largest|newest|oldest|youngest|earliest|"
           r"longest|shortest|tallest|nearest)\b)[a-z]+est|worst|best)")
    group = r"(?:\s+(?:on|in|of|at|among|across)\s+(?:the|my|our|this|your|his|her|all)\s+(?:whole\s+|entire\s+)?[\w-]+)?"
    quality = alt(wc.QUALITIES)
    verbs_aux = (r"(?:\s*(?:'re|are|is|'s|were|was|'ve|have|has|had|'d|do|does|did|don't|doesn't|didn't|"
                 r"do not|does not|did not|just|really|clearly|obviously|simply|only|still|no longer|even|"
                 r"actually|genuinely|secretly|mentally|probably|seem to|seems to|seemed to|must|would|"
                 r"will|'ll|can't|cannot|couldn't|could|never|always|now|also|not|no|kind of|sort of|"
                 r"honestly|basically|completely|totally|pretty much|already|ever|somehow|apparently|be|been|being)\b)*")
    feeling_adj = r"(?:" + alt(wc.FEELING_STEMS) + r"(?:ed|d)\b|" + alt(wc.FEELING_WORDS) + r")"
    feeling_ing = r"(?!concerning\s+(?:the|your|his|her|their|a|an|this|that)\b)" + alt(wc.FEELING_STEMS) + r"(?:ing|ful)\b"
    third = r"(?:the|a|an|one|some|several|two|three|many|most|other|our|my|his|her|their|your|[A-Z])"
    return {
        "label": [
            re.compile(r"(?<![\w'])(?P<q>" + alt(wc.TRAITS_ANYWHERE) + r")(?![\w'])", I),
            # "you're the weakest closer on the team", "one of the worst forecasters I've managed"
            re.compile(subj + COPULA + r"\s+(?:just\s+|simply\s+|probably\s+|honestly\s+)?(?P<q>(?:not\s+)?(?:one of |among )?the\s+" + sup
                       + r"(?:\s+[\w-]+){0,2}?\s+" + person + r"\b" + group + r")", I),
            re.compile(subj + COPULA + r"\s+(?:just\s+|simply\s+)?(?P<q>(?:one of )?the\s+(?:worst|weakest|laziest|slowest|"
                       r"least\s+[\w-]+|most\s+(?:" + trait + r"))\b" + group + r")", I),
            # "you are such a know-it-all", "you come across as cocky", "Alex is a complainer"
            re.compile(subj + COPULA + MODS + r"\s+(?P<q>(?:" + trait + r")(?:\s+" + person + r")?)(?![\w'-])", I),
            # "you're a poor closer", "a mediocre negotiator": grading a person as a role
            re.compile(subj + COPULA + MODS + r"\s+(?P<q>(?:" + trait + r"|bad|weak|poor|mediocre|average|lousy|"
                       r"second-rate|so-so|middling|below-average|subpar|sub-par|nice|natural)\s+(?:" + person + r"))\b", I),
            # "you're too soft", "not hungry enough", "not a natural salesperson", "not cut out for"
            re.compile(subj + COPULA + r"\s+(?:\w+\s+)?(?P<q>(?:way\s+|far\s+|much\s+)?too\s+(?!" + states
                       + r"\b|much|many|long|soon|few|little|often)[a-z-]+)", I),
            re.compile(subj + COPULA + r"\s+(?:\w+\s+)?(?P<q>not\s+(?:\w+\s+)?(?!" + states + r"\b)[a-z-]+\s+enough)", I),
            re.compile(subj + COPULA + r"\s+(?:just\s+|simply\s+)?(?P<q>not\s+(?:a|an)\s+(?:natural|real|good|great|strong|born|"
                       r"team|people|proper|true)\b(?:\s+[\w-]+){0,2})", I),
            re.compile(subj + COPULA + r"\s+(?:just\s+|simply\s+|really\s+)?(?P<q>not\s+(?:a|an)\s+" + person + r")\b", I),
            re.compile(r"(?P<q>\bnot cut out for(?:\s+[\w-]+){0,2})", I),
            # "you have zero drive", "no backbone", "little initiative", "a lack of urgency"
            re.compile(subj + r"(?:\s*'ve|\s*'d|\s+have|\s+has|\s+had|\s+show|\s+shows|\s+showed|\s+have shown|\s*'ve shown)?"
                       r"(?:\s+got)?\s+(?P<q>(?:no|zero|little|nil|not much|not enough|no real|absolutely no|hardly any|barely any|scarcely any|"
                       r"very little|a (?:complete |total |real |worrying )?lack of)\s+(?:real\s+|sense of\s+|kind of\s+)?"
                       + quality + r")\b", I),
            re.compile(r"(?P<q>\b(?:your|his|her)\s+(?:complete\s+|total\s+|obvious\s+)?lack of\s+(?:\w+\s+){0,2}?" + quality + r")\b", I),
            re.compile(subj + r"\s+(?:\w+ly\s+)?(?:lacks?|lacked|lacking|are lacking|'re lacking|is lacking)\b"
                       r"(?P<q>(?:\s+(?:in\s+)?(?:any\s+)?[\w-]+){1,3})", I),
            # "your whole approach to prospecting is amateurish", "your follow-up discipline is nonexistent"
            re.compile(r"\b(?:your|his|her)\s+(?:whole\s+|entire\s+|general\s+|overall\s+)?(?:[\w-]+\s+){0,2}?"
                       r"(?:" + alt(wc.CONDUCT_NOUNS) + r")(?:\s+(?:to|in|on|with|at|for|around|towards)(?:\s+[\w-]+){1,3}?)?"
                       r"\s+(?:is|are|was|were|has been|have been|seems|looks)" + MODS
                       + r"\s+(?P<q>non-?existent|lacking|missing|absent|(?:" + trait + r")|poor|bad|weak|lousy|subpar|sub-par|"
                       r"second-rate|not good enough|below par|shoddy|slapdash|lax|patchy)\b", I),
            # "you come across as ...": an impression is a judgement whatever word follows
            re.compile(subj + r"\s+(?:\w+\s+)?(?:come|comes|came|coming) (?:across|off) as\s+(?P<q>(?:\w+\s+){0,2}?[\w-]+)\b", I),
            # "a bit of a wallflower", "a real cynic", "turned into a ...": a noun graded as the person
            re.compile(subj + r"(?:" + COPULA + r"|\s*'ve turned into|\s+have turned into|\s+turned into)\s+(?:\w+\s+)?(?P<q>(?:a bit of a|"
                       r"a real|such an?|a total|a complete|an absolute|something of an?|quite the|a right|a proper|"
                       r"turned into an?)\s+[\w-]+)", I),
            re.compile(subj + r"(?:\s*'ve|\s+have|\s+has)?\s+(?:\w+\s+)?(?:turned|become|grown) into\s+(?P<q>(?:a|an)\s+(?:\w+\s+)?[\w-]+)", I),
            # "an order-taker", "a box-ticker"; "hard-headed", "thin-skinned", "narrow-minded"
            re.compile(subj + COPULA + MODS + r"\s+(?P<q>[a-z]+-(?:tak|tick|watch|push|pleas|wast|fill|chas)ers?)\b", I),
            re.compile(subj + COPULA + MODS + r"\s+(?P<q>[a-z]+-(?:headed|skinned|minded|hearted|willed|mouthed|tempered))\b", I),
            # un-/in-/dis- + an adjective ending: "unambitious", "inattentive", "disloyal"
            re.compile(subj + COPULA + MODS + r"\s+(?P<q>(?!" + states + r"\b)(?:un|in|im|ir|dis)[a-z]{3,}(?:ous|ive|ent|ant|able|ible|al|ful|ed|ic|ing))\b(?!\s+(?:for|to|with|by|from|on|at|in)\b)", I),
            re.compile(r",\s+(?P<q>not (?:a|an) " + person + r")\b", I),
            # "rubbish at forecasting", "not good at cold outreach": a verdict on an ability
            re.compile(subj + COPULA + ADV_MODS + r"\s+(?P<q>(?:not\s+)?(?!" + states + r"\b|there\b|here\b|back\b|home\b|still\b|"
                       r"already\b|all\b|even\b|in\b|out\b|onsite\b|on\b|both\b)[a-z-]+\s+at\s+(?:[\w-]+ing|\w+)(?:\s+[\w-]+)?)", I),
            # "bossy", "chatty", "flaky": an adjective in -y said of the person
            re.compile(subj + COPULA + ADV_MODS + r"\s+(?P<q>(?!" + states + r"\b|happy|sorry|busy|ready|early|away|angry|worry|"
                       r"very|pretty|only|fairly|really|likely|unlikely|lucky|unlucky|healthy|any|many|key|ready|by|my|"
                       r"[a-z]+ly\b|[a-z]+ty\b|[a-z]+[aeiou]y\b|[a-z]+[ao]ry\b)[a-z]{2,}y)\b(?![\w'-])", I),
            # "a born procrastinator", "a serial over-promiser"
            re.compile(subj + COPULA + r"\s+(?:\w+\s+)?(?P<q>(?:a|an)\s+(?:born|natural|typical|classic|serial|habitual|chronic|"
                       r"compulsive|notorious|total|complete|real)\s+[\w-]+)", I),
            # "you're very rigid", "way too casual": a graded adjective said of the person
            re.compile(subj + COPULA + r"\s+(?P<q>" + alt(wc.INTENSIFIERS) + r"\s+(?!" + states + r"\b|" + alt(wc.MENTAL_STATES)
                       + r"\b|much\b|many\b|long\b|soon\b|few\b|little\b|often\b|far\b|close\b|near\b|busy\b|quick\b|"
                       r"fast\b|good\b|helpful\b|clear\b|sure\b|keen\b)[a-z][\w-]+)\b", I),
            # "you act like a junior rep", "behaving like a child"
            re.compile(r"(?P<q>\b(?:act|acts|acted|acting|behave|behaves|behaved|behaving)\s+like\s+(?:a|an|the|some)\s+[\w-]+(?:\s+[\w-]+)?)", I),
            re.compile(subj + COPULA + r"\s+(?P<q>like\s+(?:a|an)\s+[\w-]+(?:\s+[\w-]+)?)", I),
        ],
        # "you're a showboat", "a lightweight": "you are a X" is a verdict unless X is a role ("an AE",
        # "a member of ...") or a measure ("a day late"); roles no list can hold ("a judge at the
        # 9 Nov hackathon") come with a date or a number, so wording.py drops it in such a clause
        "label_open": [
            re.compile(subj + COPULA + r"\s+(?:just\s+|simply\s+|basically\s+|honestly\s+|frankly\s+|sort of\s+|kind of\s+)?"
                       r"(?P<q>(?:a|an)\s+(?!" + alt(wc.ROLES) + r"\b)(?!" + states + r"\b)[a-z][\w-]*(?:\s+(?!" + alt(wc.ROLES)
                       + r"\b|of\b|on\b|in\b|at\b|for\b|with\b|to\b|who\b|that\b|and\b|but\b)[a-z][\w-]*)?)\b", I),
        ],
        "absolute": [
            re.compile(r"(?<![\w'])(?P<q>always|never|every time|every single time|each and every|all the time|constantly|"
                       r"continually|continuously|forever|invariably|not once|never once|nothing ever|nobody ever|"
                       r"no one ever|without fail|without exception|no matter (?:what|how|when|who)|whenever|"
                       r"each (?:time|week|day|month|quarter|call|meeting|demo|deal)|each of (?:your|his|her|their|the)|"
                       r"(?:absolutely |literally )?(?:everything|everyone|everybody)|permanently|perpetually|consistently|"
                       r"habitually|unfailingly|eternally|(?:isn't|wasn't|hasn't|haven't|didn't|don't|doesn't|aren't|weren't) (?:a|one) single|every (?:single |last )?(?:one|\w+)|week (?:after|in,?) week|day (?:after|in,?) day|"
                       r"month after month|time after time|time and (?:time )?again|again and again|over and over|"
                       r"across the board|non-stop|nonstop|24/7|round the clock|around the clock|at no point|"
                       r"not (?:a )?single|not one(?: of)?|(?:don't|doesn't|didn't|haven't|hasn't|not|never) (?:even )?once|none of (?:your|his|her|their)|at all times|the whole time|"
                       r"all (?:of )?(?:your|his|her|their) (?![\d])\w+|(?:keeps?|kept) (?:on )?\w+ing|ever)(?![\w'])", I),
        ],
        "hearsay": [
            re.compile(r"(?<![\w'])(?P<q>(?:so )?i'm told|i am told|i(?: was| have been|'ve been| got| had been) "
                       r"(?:told|informed|warned|advised|made aware)|i'm hearing|i've been hearing|i have been hearing|"
                       r"i hear(?: that| from| about| through| rumou?rs)?|i(?:'ve| have)? heard (?:that|from|about|through|"
                       r"rumou?rs|talk|grumbles|stories|reports|word)|people (?:say|are saying|said|tell me|have said)|"
                       r"(?:someone|somebody|some people|others|colleagues|everyone|everybody) (?:told|tells|says|said|say)"
                       r"(?: me| that)?|apparently|rumou?rs?(?: has it| is)?|word (?:is|has it|reached me|got back to me|"
                       r"gets around)|there's talk|by all accounts|according to|from what (?:\w+ ){0,3}?(?:tell|tells|"
                       r"told|say|says|said|hear|gather|understand)(?: me)?|i gather|i understand from|supposedly|"
                       r"allegedly|reportedly|it (?:came|has come|was brought|has been brought|'s been brought) to my "
                       r"attention|(?:it's|it has|it was|it's been|it has been|has been|was) (?:reported|mentioned|flagged|"
                       r"raised|brought up|pointed out|suggested)(?: to me)?|(?:via|through|on) the grapevine|the feedback "
                       r"(?:from|is|was)|feedback from|i(?:'ve| have)? (?:got|had|received|been getting|been receiving) "
                       r"(?:a |some |several |a few |a couple of |more |two |three |many |lots of |a lot of |an? )?"
                       r"(?:\w+ )?(?:complaints?|feedback|reports?|grumbles|comments|word|emails?|messages?|calls?)"
                       r"(?= from| about| that| saying)|it seems people|the word is|word (?:\w+ ){1,3}?(?:is|has it)|"
                       r"the (?:feedback|word|story|sense|impression|view|message) (?:[\w']+ ){1,4}?(?:is|was) that|"
                       r"(?:[\w-]+'s|their) (?:view|take|impression|feeling|sense|opinion|feedback|verdict|read|"
                       r"perception|understanding|account|version|story|complaint) (?:is|was|seems to be|has been) that|"
                       r"in (?:[\w-]+'s|their) (?:view|opinion|words|eyes|book))(?![\w'])", I),
        ],
        "hearsay_report": [
            re.compile(r"(?<![\w'])(?P<v>" + alt(wc.REPORT_VERBS) + r")(?![\w'])", I),
        ],
        "hearsay_opinion": [
            re.compile(r"(?<![\w'])(?P<v>" + alt(wc.OPINION_VERBS) + r")(?:\s+that)?\s+(?=" + alt(rep_words + [r"your", r"him", r"her"])
                       + r"\b)", I),
        ],
        "hearsay_complaint": [
            re.compile(r"(?<![\w'])(?P<v>" + alt(wc.COMPLAINT_VERBS) + r")(?![\w'])", I),
        ],
        "heard_you": [
            re.compile(r"\b(?P<q>i(?:'ve| have)? heard)\s+(?:that\s+)?" + alt(rep_words) + r"\s+(?P<next>[\w']+)", I),
        ],
        "mind_reading": [
            re.compile(r"(?P<q>" + subj + verbs_aux + r"\s*(?:" + alt(wc.MENTAL_VERBS) + r"))(?![\w'])", I),
            re.compile(r"(?P<q>" + subj + COPULA + r"(?:\s+(?:not|no longer|just|only|really|clearly|obviously|simply|"
                       r"still|secretly|genuinely|actually|too|so|very|quite|a bit|a little|mentally|totally))*\s+"
                       + alt(wc.MENTAL_STATES) + r")(?![\w'])", I),
            re.compile(r"(?P<q>" + subj + r"(?:\s*'ve|\s+have|\s+has)?\s+(?:mentally\s+|completely\s+|totally\s+)?"
                       r"(?:checked out|given up|switched off|lost interest|stopped caring|stopped trying|tuned out))", I),
            re.compile(r"(?<![\w'])(?P<q>" + alt(wc.MOTIVE_WORDS) + r")(?![\w'])", I),
            re.compile(r"(?P<q>" + subj + r"\s*(?:'d|would)\s+(?:much\s+)?(?:rather|prefer))", I),
            re.compile(r"(?P<q>\b(?:you|he|she)\s+(?:only|just)\s+(?:care|cares|want|wants|think|thinks)\b)", I),
        ],
        "mind_exempt": [
            # the rep's own account of their mind, heard first-hand: "you told me you want to ..."
            re.compile(subj + r"\s+(?:\w+\s+)?(?:told|said|wrote|mentioned|explained|admitted|confirmed|emailed|"
                       r"messaged|replied|asked|shared|agreed)\b", I),
        ],
        "emotion": [
            re.compile(r"(?P<q>\bi\s+(?:feel|felt|am feeling|'m feeling|was feeling)\s+(?:so\s+|really\s+|very\s+|quite\s+|"
                       r"a bit\s+|a little\s+|pretty\s+|totally\s+|completely\s+|deeply\s+|increasingly\s+|utterly\s+)*"
                       r"(?:[a-z]+ed|taken for granted|let down)\b)", I),
            re.compile(r"(?P<q>\b" + SPEAKER + r"(?:\s*'m|\s+am|\s+was|\s*'ve been|\s+have been|\s+feel|\s+felt|"
                       r"\s+get|\s+got|\s+am getting|\s*'m getting|\s+become|\s*'ve become|\s+find myself|\s+was left|"
                       r"\s+am left|\s*'m left|\s+was feeling|\s*'m feeling|\s+am feeling)?"
                       r"(?:\s+(?:so|really|very|quite|a bit|a little|getting|increasingly|deeply|extremely|honestly|"
                       r"frankly|pretty|rather|bloody|utterly|totally|completely|genuinely|incredibly|more than a little|"
                       r"not|just|absolutely|seriously|somewhat|growing|more and more|rather|also|now|still))*\s+"
                       + feeling_adj + r")", I),
            re.compile(r"(?P<q>\b(?:it|this|that|which|these|they|what|numbers|results|it all)?\s*(?:\w+\s+)?"
                       r"(?:make|makes|made|making|leave|leaves|left|get|gets|got)\s+me\s+(?:feel\s+)?(?:so\s+|really\s+|very\s+)?"
                       r"(?:" + feeling_adj + r"|want to (?:\w+)|sick|mad|crazy|angry|sad|worried|nervous|anxious|despair))", I),
            re.compile(r"(?P<q>\b" + alt(wc.FEELING_STEMS) + r"(?:s|es|ed)?\s+me\b)", I),
            re.compile(r"(?<![\w'])(?P<q>" + feeling_ing + r")", I),
            re.compile(r"(?<![\w'])(?P<q>" + alt(wc.FEELING_EXCLAIMS) + r")(?![\w'])", I),
            re.compile(r"(?P<q>\b(?:it's|it is|this is|that's|that is|it was|this was|that was|it's been|it has been)\s+"
                       r"(?:\w+\s+)?(?:a|an)\s+(?:real\s+|total\s+|absolute\s+|complete\s+|constant\s+|big\s+|huge\s+)?"
                       + alt(wc.FEELING_NOUNS) + r")\b", I),
            re.compile(r"(?P<q>\b(?:a|an)\s+(?:[\w-]+\s+)?" + alt(wc.FEELING_NOUNS) + r"\s+(?:for|to)\s+me)\b", I),
        ],
        "third_subject": [re.compile(third)],
    }
