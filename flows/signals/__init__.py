"""Signals about a rep, per ISO week, and the flags they raise — pure functions of stored facts."""
from flows.signals.describe import describe, describe_for_rep
from flows.signals.facts import (ActionDue, CheckinAnswer, CheckinAsked, Loss, ManagerCheckin, RepFacts, WeekCount,
                                 pulse_count, week_of)
from flows.signals.flags import KINDS, STRONG, WEAK, Flag, flags
from flows.signals.thresholds import Thresholds, ThresholdError
from flows.signals.weekly import RepWeek, recent_weeks, weekly_signals

__all__ = ["ActionDue", "CheckinAnswer", "CheckinAsked", "Flag", "KINDS", "Loss", "ManagerCheckin", "RepFacts",
           "RepWeek", "STRONG", "ThresholdError", "Thresholds", "WEAK", "WeekCount", "describe", "describe_for_rep",
           "flags", "pulse_count", "recent_weeks", "week_of", "weekly_signals"]
