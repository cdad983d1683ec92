"""The outside view before a difficult conversation: what the records say about a rep's recent weeks.

A manager who has already decided a rep is failing reads every new fact as proof. The brief puts the
dated records in front of them first: new opportunities per week, lost deals with the cause the
retrospective names and whether the buyer confirmed it, the rep's check-in answers, the last plan and
how it ended. Where nothing is recorded it says so; it never fills a gap with a guess. The step-1
draft is made of those facts only, and step 2 gets the manager's own commitments that slipped.

Pure: the facts and `today` come in as arguments. Text is plain; renderers escape it (deal names and
plan items are typed by people).
"""
from flows.brief.draft import DRAFT_MOST, step1_draft
from flows.brief.facts import WEEKS, Brief, Commitment, LastPlan, OpportunityWeek, PlanItemFact, build_brief
from flows.brief.own import commitment_lines, missed_commitments, own_part_sections
from flows.brief.params import draft_of, from_params, to_params
from flows.brief.sections import ending, how_known, sections
from flows.brief.words import MOST_LINES, MOST_TEXT, NOTHING

__all__ = ["Brief", "Commitment", "DRAFT_MOST", "LastPlan", "MOST_LINES", "MOST_TEXT", "NOTHING", "OpportunityWeek",
           "PlanItemFact", "WEEKS", "build_brief", "commitment_lines", "draft_of", "ending", "from_params",
           "how_known", "missed_commitments", "own_part_sections", "sections", "step1_draft", "to_params"]
