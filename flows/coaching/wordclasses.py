"""Word classes the step-1 patterns are built from: small lists of kinds of words, not of sentences.

Each list names a class (a trait word, a feeling, a verb of reporting, ...); the patterns in
flows/coaching/wording.py say where in a sentence a word of that class turns it into a judgement.
"""
from __future__ import annotations


def alt(words) -> str:
    """A regex alternation of `words` (regex fragments), longest first so phrases win over words."""
    return "(?:" + "|".join(sorted(set(words), key=len, reverse=True)) + ")"


# Character words that describe a person wherever they appear: the fast path.
TRAITS_ANYWHERE = [
    r"lazy", r"laziness", r"sloppy", r"careless", r"unprofessional", r"incompetent", r"useless",
    r"hopeless", r"unmotivated", r"demotivated", r"lacks? motivation", r"no motivation", r"arrogant",
    r"(?:bad|poor|negative|wrong) attitude", r"attitude problem", r"attitude", r"disrespectful",
    r"rude", r"entitled", r"unreliable", r"disorgani[sz]ed", r"clueless", r"slacking(?: off)?",
    r"slackers?", r"not a team player", r"not committed", r"uncommitted", r"disengaged",
    r"half-hearted", r"(?:poor|no|weak) work ethic", r"not pulling (?:your|his|her|their) weight",
    r"not good enough", r"not up to scratch", r"underperformer", r"underachiever",
    r"(?:poor|low|weak) performer", r"a disaster", r"pathetic", r"terrible", r"awful",
    r"making excuses", r"full of excuses", r"excuses", r"(?:difficult|hard|impossible) to work with",
    r"not trying", r"doesn't try", r"don't try", r"isn't trying", r"cocky", r"pushy", r"amateurish",
    r"childish", r"immature", r"selfish", r"scatterbrained", r"flaky", r"complacent",
    r"condescending", r"patroni[sz]ing", r"abrasive", r"obnoxious", r"stubborn", r"pig-headed",
    r"spineless", r"gutless", r"clumsy", r"inept", r"gullible", r"timid", r"evasive", r"dishonest",
    r"sneaky", r"uncooperative", r"know-it-all", r"lone wolf", r"dead ?weight", r"dinosaur",
    r"complainer", r"whiner", r"moaner", r"unfocused", r"chaotic", r"defensive", r"combative",
    r"passive", r"mediocre", r"lacklustre", r"lackluster", r"sluggish", r"standoffish",
    r"dismissive", r"argumentative", r"indecisive", r"irresponsible", r"inconsistent",
    r"negligent", r"lethargic", r"apathetic", r"thoughtless", r"tactless", r"aimless",
    r"cut corners", r"cutting corners", r"weak link", r"loose cannon", r"prima donna", r"diva",
    r"pushover", r"doormat", r"people-pleaser", r"people pleaser", r"show-off", r"smooth talker",
    r"drama queen", r"control freak", r"wet blanket", r"busybody", r"chatterbox", r"free rider", r"know it all", r"sloppily", r"lazily", r"carelessly",
]

# Words that judge the person when said of them ("you are ...", "Alex seems ..."), but are
# ordinary elsewhere ("a negative margin", "a slow quarter").
TRAITS_OF_PERSON = [
    r"negative", r"soft", r"slow", r"weak", r"poor", r"bad", r"average", r"naive", r"difficult",
    r"awkward", r"impatient", r"loud", r"blunt", r"harsh", r"cold", r"aggressive", r"lax", r"green",
    r"disappointing", r"disappointment", r"problem", r"liability", r"drag", r"passenger", r"burden",
    r"mess", r"nightmare", r"joke", r"amateur", r"rookie", r"handful", r"headache", r"quitter",
    r"loner", r"snob", r"bully", r"hothead", r"clown", r"cowboy", r"loudmouth", r"yes-man",
    r"non-starter", r"underwhelming", r"ineffective", r"unproductive", r"inattentive",
    r"unresponsive", r"unhelpful", r"uninspiring", r"unimpressive", r"manipulative", r"difficult",
    r"hard work", r"high maintenance", r"all talk", r"out of (?:your|his|her|their) depth",
    r"behind the curve", r"a step behind", r"a weak", r"distracted", r"forgetful", r"scattered",
    r"all over the place", r"unprepared", r"ill-prepared", r"underprepared", r"disappointing",
    r"bad news", r"trouble", r"toxic", r"selfish", r"greedy", r"lazy",
]

# Adjectives that are states, not traits: "you were late", "you are responsible for Acme".
STATES = [
    r"late", r"early", r"absent", r"away", r"off", r"out", r"on leave", r"sick", r"ill", r"present",
    r"responsible", r"new", r"first", r"last", r"next", r"only", r"available", r"unavailable",
    r"able", r"unable", r"involved", r"uninvolved", r"aware", r"unaware", r"busy", r"here",
]

# Nouns for a person's role, what a superlative is about in "the weakest closer on the team".
PERSON_NOUNS = [
    r"rep", r"reps", r"person", r"people", r"member", r"salesperson", r"seller", r"link", r"voice",
    r"hire", r"ae", r"sdr", r"bdr", r"guy", r"colleague", r"manager", r"player", r"one",
    r"employee", r"individual", r"teammate", r"team member", r"account executive", r"salesman",
    r"saleswoman", r"[a-z]+(?:er|or|ist)s?",
]
# What someone simply is at work: "you're an AE on the enterprise team", "a member of the Acme team".
ROLES = [
    r"rep", r"ae", r"sdr", r"bdr", r"se", r"csm", r"am", r"manager", r"member", r"part", r"lead",
    r"owner", r"co-owner", r"account executive", r"account manager", r"senior", r"junior", r"new",
    r"recent", r"first", r"second", r"third", r"contractor", r"guest", r"speaker", r"participant",
    r"attendee", r"backup", r"sponsor", r"day", r"week", r"month", r"few", r"couple", r"lot", r"bit",
    r"little", r"while", r"mentor", r"buddy", r"trainee", r"graduate", r"director", r"vp", r"founder",
    r"hire", r"joiner", r"starter", r"salesperson", r"seller", r"user", r"admin", r"approver",
    r"reviewer", r"signatory", r"champion", r"contact", r"point", r"full-time", r"part-time",
    r"permanent", r"temporary", r"remote", r"regional", r"named", r"key", r"main", r"primary",
    r"secondary", r"single", r"sole", r"one", r"no-show", r"day late", r"fan", r"candidate",
    r"hour", r"minute", r"quarter", r"year", r"half", r"fortnight", r"touch (?:late|early)",
]
# Words that grade whatever adjective follows them: "you're very rigid", "way too casual".
INTENSIFIERS = [
    r"very", r"so", r"really", r"quite", r"incredibly", r"extremely", r"pretty", r"rather", r"fairly",
    r"too", r"way too", r"far too", r"much too", r"a bit", r"a little", r"somewhat", r"overly",
    r"excessively", r"super", r"hugely", r"deeply", r"painfully", r"terribly", r"awfully", r"bloody",
    r"seriously", r"unbelievably", r"ridiculously", r"remarkably", r"notably", r"particularly",
]

# "-er" words that are not people ("the lowest number", "the biggest customer" is not the rep).
NOT_PERSON_ER = [
    r"number", r"quarter", r"order", r"customer", r"buyer", r"partner", r"letter", r"answer",
    r"other", r"after", r"over", r"under", r"never", r"ever", r"later", r"matter", r"paper",
    r"chapter", r"corner", r"power", r"cover", r"offer", r"error", r"sector", r"factor",
    r"indicator", r"ratio", r"calendar", r"center", r"centre", r"register", r"monitor", r"quota",
    r"water", r"dollar", r"member",
]

# Qualities someone can be said to lack: "you have zero drive", "no sense of urgency".
QUALITIES = [
    r"drive", r"ambition", r"energy", r"urgency", r"sense of urgency", r"initiative", r"discipline",
    r"grit", r"hunger", r"focus", r"motivation", r"backbone", r"spine", r"confidence",
    r"self-confidence", r"respect", r"common sense", r"follow-through", r"ownership", r"curiosity",
    r"polish", r"presence", r"charisma", r"passion", r"enthusiasm", r"commitment", r"integrity",
    r"judge?ment", r"people skills", r"tact", r"empathy", r"patience", r"resilience",
    r"work ethic", r"attention to detail", r"accountability", r"leadership", r"gravitas",
    r"killer instinct", r"organi[sz]ation", r"structure", r"direction", r"credibility", r"maturity",
    r"composure", r"guts", r"bite", r"edge", r"fire", r"spark", r"hustle", r"stamina", r"rigou?r",
    r"professionalism", r"self-awareness", r"interest", r"imagination", r"creativity", r"courage",
    r"conviction", r"determination", r"dedication", r"persistence", r"perseverance", r"diligence",
    r"competence", r"skills?", r"talent", r"flair", r"nous", r"savvy", r"clue", r"idea",
    r"[a-z]+ness", r"[a-z]+ism",
]

# What belongs to a person's conduct: "your attitude is ...", "your approach to prospecting is ...".
CONDUCT_NOUNS = [
    r"attitude", r"approach", r"mindset", r"work ethic", r"ethic", r"discipline", r"manner",
    r"behaviou?r", r"conduct", r"tone", r"professionalism", r"effort", r"commitment", r"focus",
    r"energy", r"motivation", r"personality", r"character", r"demeanou?r", r"drive", r"judge?ment",
    r"prospecting", r"follow-up", r"follow up", r"communication", r"forecasting", r"organi[sz]ation",
    r"time management", r"skills", r"style", r"work", r"performance", r"selling", r"closing",
    r"listening", r"preparation", r"prep", r"admin", r"attention to detail", r"presence",
]

# Reporting and perceiving verbs, when someone other than the manager is the subject.
REPORT_VERBS = [
    r"said", r"says", r"say", r"saying", r"told", r"tells", r"tell me", r"telling", r"mentioned",
    r"mentions", r"mentioning", r"let me know", r"lets me know", r"letting me know",
    r"passed (?:on|along)", r"passes (?:on|along)", r"flagged", r"flags", r"raised", r"noted", r"pointed out", r"hinted", r"hints", r"suggested", r"suggests", r"claimed", r"claims",
    r"warned", r"warns", r"reported", r"reports", r"commented", r"remarked", r"emailed me",
    r"messaged me", r"pinged me", r"wrote to me", r"called me", r"rang me", r"texted me",
    r"informed me", r"tipped me off", r"alerted me", r"escalated", r"brought up", r"noticed",
    r"notices", r"spotted", r"saw", r"sees", r"overheard", r"heard", r"observed", r"seen",
    r"admitted", r"confided", r"whispered", r"shared", r"let slip", r"let on", r"revealed", r"disclosed", r"feeds? back", r"fed back", r"implied",
]
# Of those, the ones that also act on a thing ("flagged 8 orders", "shared her deck with you"):
# they report only when a clause follows ("flagged that ...", "noticed you were ...").
ACT_VERBS = [
    r"flagged", r"flags", r"raised", r"noted", r"pointed out", r"reported", r"reports", r"escalated",
    r"brought up", r"shared", r"passed (?:on|along)", r"passes (?:on|along)", r"observed", r"noticed",
    r"notices", r"spotted", r"saw", r"sees", r"seen", r"heard", r"overheard",
]
OPINION_VERBS = [
    r"thinks?", r"thought", r"feels?", r"felt", r"found", r"finds?", r"reckons?", r"reckoned",
    r"considers?", r"considered", r"described", r"describes", r"views?",
    r"viewed", r"regards?", r"regarded", r"believes?", r"believed", r"sees?", r"saw", r"rated",
    r"rates", r"labelled", r"labeled",
]
COMPLAINT_VERBS = [
    r"complain(?:s|ed|ing)?", r"grumbl(?:e|es|ed|ing)", r"moan(?:s|ed|ing)?", r"whing(?:e|es|ed|ing)",
    r"grip(?:e|es|ed|ing)", r"griev(?:e|es|ed)", r"objected",
]
# What someone may say they did themselves: "I heard you tell the buyer ..." is first-hand.
SPEECH_BASE_VERBS = [
    r"say", r"tell", r"ask", r"promise", r"offer", r"agree", r"explain", r"talk", r"pitch",
    r"describe", r"mention", r"quote", r"answer", r"respond", r"reply", r"speak", r"present",
    r"handle", r"give", r"call", r"use",
]

# Verbs of a mind: with "you" (or the rep) as subject they claim to know what is inside it.
MENTAL_VERBS = [
    r"cares?", r"cared", r"caring", r"wants?", r"wanted", r"wanting", r"thinks?", r"thought",
    r"believes?", r"believed", r"feels?", r"felt", r"assumes?", r"assumed", r"expects?", r"expected",
    r"resents?", r"resented", r"hates?", r"hated", r"prefers?", r"preferred", r"enjoys?", r"enjoyed",
    r"loves?", r"loved", r"wish(?:es|ed)?", r"hopes?", r"hoped", r"hoping", r"intends?", r"intended",
    r"means? to", r"meant to", r"plans? to", r"planned to", r"values?", r"valued", r"respects?",
    r"respected", r"mind", r"bother(?:s|ed)?", r"trusts?", r"trusted", r"fears?", r"feared",
    r"dreads?", r"dreaded", r"reckons?", r"figures?", r"figured", r"imagines?", r"imagined",
    r"supposes?", r"realise", r"realize", r"understand", r"doubts?", r"doubted",
    r"see(?:s)? (?:why|the point|the value|it as|this as|\w+ as|yourself as|(?:him|her)self as)",
    r"see(?:s)? (?:[\w'-]+ ){1,3}?as (?:a|an|someone|something|somebody|beneath|below|the|a waste|pointless|optional)",
    r"knows? (?:full|perfectly|very|damn) well", r"knew (?:full|perfectly|very|damn) well",
    r"like (?:it|this|being|to|the|your|having|doing)", r"likes? (?:it|this|being|to)",
    r"decided(?: to| that| the| this)", r"lost interest", r"losing interest", r"stopped caring",
    r"stopped trying", r"given up", r"gave up", r"giving up", r"checked out", r"checking out",
    r"switched off", r"tuned out", r"give a damn", r"give up", r"care less", r"couldn't care",
    r"take (?:it|this|the job|your job|(?:him|her)self|yourself|\w+) (?:seriously|for granted)",
    r"takes? (?:it|this|the job|your job|\w+) (?:seriously|for granted)",
    r"rather", r"prefer", r"sandbag(?:s|ged|ging)?", r"undermin(?:e|es|ed|ing)", r"sabotag(?:e|es|ed|ing)",
    r"(?:convinced|persuaded|told|kidding|fooling|telling) (?:your|him|her)self",
    r"lost (?:all |any |your |his |her |the )?(?:motivation|interest|appetite|enthusiasm|passion|will|desire|"
    r"faith|heart|hunger|drive|belief)",
]
# Inner states: "you're scared of the phone", "Alex is bored with small accounts".
MENTAL_STATES = [
    r"scared", r"afraid", r"frightened", r"terrified", r"bored", r"jealous", r"envious",
    r"resentful", r"bitter", r"happy", r"unhappy", r"comfortable", r"interested", r"uninterested",
    r"disinterested", r"bothered", r"committed", r"motivated", r"invested", r"engaged", r"serious",
    r"keen", r"eager", r"desperate", r"annoyed", r"angry", r"upset", r"frustrated", r"indifferent",
    r"reluctant", r"unwilling", r"ashamed", r"embarrassed", r"worried", r"nervous", r"anxious",
    r"intimidated", r"threatened", r"insecure", r"content", r"convinced", r"oblivious", r"fed up",
    r"over it", r"done with", r"in it for", r"(?:only|just) (?:here|in it) (?:for|to)", r"here for",
    r"out for (?:your|him|her)sel(?:f|ves)", r"out to", r"hoping", r"(?:just|only) waiting for", r"waiting for (?:me|us|someone|\w+) to",
    r"trying to", r"looking to", r"aiming to", r"holding back", r"hiding", r"sandbagging", r"coasting",
    r"gaming", r"avoiding", r"dodging", r"stalling", r"pretending", r"determined to", r"set on",
    r"above", r"beneath", r"too good for", r"holding out for", r"angling (?:for|to)",
    r"looking for (?:an? |the )?(?:easy |quick )?(?:way out|excuses?|reasons? to|shortcuts?|an out|exit|easy ride)", r"gunning for",
    r"too (?:proud|scared|afraid|lazy|stubborn|embarrassed|ashamed|busy thinking|comfortable|shy) to",
]
# Words that put an intention into a sentence wherever they stand.
MOTIVE_WORDS = [
    r"deliberately", r"on purpose", r"intentionally", r"purposely", r"purposefully", r"wilfully",
    r"willfully", r"knowingly", r"secretly", r"to wind me up", r"to make me look", r"to get back at",
    r"out of spite", r"to spite", r"to punish", r"to get at me", r"to annoy me",
    r"(?:your|his|her) (?:heart|head|mind) (?:isn't|is not|wasn't|was not|is no longer|is elsewhere|"
    r"is somewhere else|was elsewhere|is not really|isn't really)",
    r"(?:your|his|her) (?:real )?(?:plan|aim|goal|motive|motivation|intention|agenda|game) (?:is|was|seems) to",
    r"(?:your|his|her) (?:real )?(?:motives?|intentions?|agenda)",
]

# Feelings, as stems: frustrat(ed|ing), disappoint(ed|ing), ...
FEELING_STEMS = [
    r"frustrat", r"disappoint", r"annoy", r"irritat", r"infuriat", r"anger", r"worr(?:y|i)",
    r"concern", r"stress", r"alarm", r"troubl", r"bother", r"embarrass", r"mortif(?:y|i)", r"shock",
    r"appall?", r"disgust", r"dismay", r"sadden", r"exasperat", r"exhaust", r"drain", r"baffl",
    r"puzzl", r"depress", r"irk", r"madden", r"sicken", r"horrif(?:y|i)", r"distress", r"discourag",
    r"dishearten", r"deflat", r"demorali[sz]", r"terrif(?:y|i)", r"scar", r"unnerv", r"surpris",
    r"amaz", r"stunn?", r"disturb", r"offend", r"insult", r"gall", r"vex", r"perturb", r"dispirit",
    r"disillusion", r"upsett?", r"bugg?", r"aggravat", r"exasperat", r"disheart", r"flabbergast", r"gutt",
    r"dumbfound", r"bewilder", r"nag", r"tir", r"wear(?:y|i)", r"tortur", r"pain", r"hurt",
]
FEELING_WORDS = [
    r"let down", r"fed up", r"gutted", r"livid", r"furious", r"angry", r"mad", r"cross", r"sad",
    r"unhappy", r"not happy", r"not pleased", r"displeased", r"not impressed", r"unimpressed",
    r"not thrilled", r"anxious", r"nervous", r"uneasy", r"uncomfortable", r"sick (?:of|and tired)",
    r"tired of", r"heartbroken", r"devastated", r"crushed", r"speechless", r"lost for words",
    r"at a loss", r"at my wits'? end", r"at the end of my (?:tether|rope)",
    r"(?:losing|lost) (?:my )?patience", r"out of patience", r"run out of patience",
    r"losing sleep", r"beside myself", r"done with", r"over it", r"in despair", r"despairing",
    r"ashamed", r"hurt", r"upset", r"disgusted", r"sorry", r"sick", r"fuming", r"seething",
    r"exhausted", r"drained", r"worn out", r"stressed(?: out)?", r"scared", r"afraid",
    r"fearful", r"apprehensive", r"uncomfortable", r"unsettled", r"on edge", r"at (?:my|the) limit",
    r"reached my limit", r"at breaking point",
]
# Things a manager calls a situation when it is really how they feel about it.
FEELING_NOUNS = [
    r"headache", r"nightmare", r"pain", r"worry", r"letdown", r"let-down", r"disappointment",
    r"embarrassment", r"joke", r"shambles", r"disgrace", r"farce", r"mess", r"concern",
    r"frustration", r"source of stress", r"thorn in my side",
]
FEELING_EXCLAIMS = [
    r"unacceptable", r"ridiculous", r"outrageous", r"infuriating", r"maddening", r"beyond a joke",
    r"painful", r"heartbreaking", r"hurtful", r"stressful", r"shameful", r"appalling", r"dreadful",
    r"drives? me (?:mad|crazy|nuts|insane|up the wall|round the bend|round the twist|to distraction)",
    r"driving me (?:mad|crazy|nuts|insane|up the wall|round the bend|round the twist|to distraction)",
    r"gets? on my nerves", r"getting on my nerves", r"does my head in", r"doing my head in",
    r"breaks? my heart", r"gets? to me", r"getting to me", r"eats? at me", r"grates? on me", r"gets? me down",
    r"wears? me down", r"i feel (?:like|as if|as though) i(?:'m| am)?\b", r"(?:banging|bang) my head against", r"my heart sinks", r"keeps? me (?:up|awake) at night", r"i (?:can't|cannot) (?:stand|bear)",
    r"i (?:\w+ )?(?:can't|cannot|can no longer) (?:stand|bear|take)", r"i (?:\w+ )?hate", r"i (?:\w+ )?dread", r"i despair", r"i'm dreading", r"i've had enough", r"i've had it",
    r"i am dreading", r"i have had enough", r"fed up with", r"i'm fed up", r"what a (?:mess|shambles|joke|letdown|disappointment)",
    r"i'm sick of", r"i'm tired of", r"i'm losing sleep",
]

# Relative times that pin a statement to a period.
RELATIVE_TIMES = [
    r"yesterday", r"today", r"tonight", r"this (?:morning|afternoon|evening|week|month|quarter|year|half)",
    r"last (?:night|week|month|quarter|year|half|monday|tuesday|wednesday|thursday|friday|saturday|sunday)",
    r"next (?:week|month|quarter|year|monday|tuesday|wednesday|thursday|friday)",
    r"the (?:week|month|day|quarter) before", r"the (?:previous|past|last) (?:week|month|quarter|year|\w+ (?:days|weeks|months))",
    r"q[1-4]", r"h[12]", r"fy\s?\d+", r"earlier this (?:week|month|quarter|year)",
]
MONTHS = [
    r"January", r"February", r"March", r"April", r"May", r"June", r"July", r"August", r"September",
    r"October", r"November", r"December",
]
MONTH_ABBREVIATIONS = [r"Jan", r"Feb", r"Mar", r"Apr", r"Jun", r"Jul", r"Aug", r"Sept?", r"Oct", r"Nov", r"Dec"]
WEEKDAYS = [r"monday", r"tuesday", r"wednesday", r"thursday", r"friday", r"saturday", r"sunday"]
NUMBER_WORDS = [
    r"two", r"three", r"four", r"five", r"six", r"seven", r"eight", r"nine", r"ten", r"eleven",
    r"twelve", r"thirteen", r"fourteen", r"fifteen", r"twenty", r"thirty", r"forty", r"fifty",
    r"hundred", r"dozen", r"half of", r"(?<!not )(?<!n't )(?<!never )(?<!even )once", r"twice", r"thrice",
]
# A named account is a specific only beside a word for a deal or an event: "the Acme renewal".
DEAL_NOUNS = [
    r"deal", r"deals", r"account", r"renewal", r"opportunity", r"opp", r"proposal", r"pitch", r"demo",
    r"call", r"meeting", r"contract", r"rfp", r"tender", r"quote", r"bid", r"order", r"pilot", r"trial",
    r"qbr", r"negotiation", r"buyer", r"champion", r"cfo", r"ceo", r"cto", r"board", r"site", r"visit",
    r"kickoff", r"kick-off", r"review", r"presentation", r"workshop", r"onboarding", r"implementation",
    r"project", r"purchase order", r"po", r"invoice", r"evaluation", r"poc", r"opportunities",
]
