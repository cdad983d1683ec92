// Checks Adaptive Cards the way Teams will read them, for the strict Teams connector double.
//
// The schema knowledge is the maintained `adaptivecards` parser (npm 3.0.6), and the host config is
// Teams' own, as shipped in `adaptivecards-designer` (npm 2.4.4): no copy of either lives here.
// A card is parsed at the version it declares (an element or property newer than that is an
// error, as an older client would not know it), with Teams' limits (actions per card, ...), and
// must declare a version Teams renders: at most 1.5 (learn.microsoft.com/microsoftteams/platform/
// task-modules-and-cards/cards/cards-reference).
//
// Protocol: one JSON card per line on stdin; one JSON line {"problems": [...]} per card on stdout.
"use strict";
const path = require("path");
const readline = require("readline");

const modules = path.join(__dirname, "..", "playground", "node_modules");
// The package's ESM build has extensionless imports Node cannot load; its bundled build works as is.
const AC = require(path.join(modules, "adaptivecards", "dist", "adaptivecards.js"));
const teamsHost = require(path.join(modules, "adaptivecards-designer", "lib", "hostConfigs",
                                    "microsoft-teams-light.json"));
const TEAMS_MAX = AC.Versions.v1_5;
const IGNORED = new Set([AC.ValidationEvent.Hint]);

function check(json) {
  const problems = [];
  if (typeof json !== "object" || json === null || json.type !== "AdaptiveCard") {
    return ["not an AdaptiveCard"];
  }
  if (!json.version) {
    return ["the card declares no version"];  // the parser says nothing about this itself
  }
  const declared = AC.Version.parse(String(json.version), new AC.SerializationContext());
  if (!declared || !declared.isValid) {
    return [`"${json.version}" is not a card version`];
  }
  if (declared.compareTo(TEAMS_MAX) > 0) {
    problems.push(`version ${json.version} is newer than Teams renders (1.5)`);
  }
  const context = new AC.SerializationContext(declared);
  const card = new AC.AdaptiveCard();
  card.hostConfig = new AC.HostConfig(teamsHost);
  card.maxVersion = TEAMS_MAX;
  card.parse(json, context);
  for (let i = 0; i < context.eventCount; i++) {
    const e = context.getEventAt(i);
    if (!IGNORED.has(e.event)) problems.push(`${AC.ValidationEvent[e.event]}: ${e.message}`);
  }
  for (const e of card.validateProperties().validationEvents) {
    if (!IGNORED.has(e.event)) problems.push(`${AC.ValidationEvent[e.event]}: ${e.message}`);
  }
  return problems;
}

const lines = readline.createInterface({ input: process.stdin });
lines.on("line", (line) => {
  let problems;
  try {
    problems = check(JSON.parse(line));
  } catch (err) {
    problems = [`unreadable card: ${err.message}`];
  }
  process.stdout.write(JSON.stringify({ problems }) + "\n");
});
