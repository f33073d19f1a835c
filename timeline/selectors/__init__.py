"""Read queries: the one read path for the pages, the API, the feeds and the digests.

Everything here reads the read models (Development and its links) or the log; nothing
writes. Bad input from a reader (an unknown topic, a reversed period, a forged cursor)
raises django.core.exceptions.ValidationError naming the field, as the commands do.

Callers import the package (`from timeline import selectors`); its modules split it by idea:
timeline (filters, pages, upcoming), developments (one development and its history), topics
(threads and stages), log (the log, for replication), shape (the visual timeline's shape)
and feeds (the queries feeds/ makes).
"""

from timeline.models import Kind, ShownStatus, Stage, Status
from timeline.selectors.developments import (
    Change,
    HistoryEntry,
    action_label,
    development_get,
    development_history,
)
from timeline.selectors.feeds import (
    DevelopmentChange,
    News,
    calendar_developments,
    calendar_sequences,
    changes_between,
    dated_between,
    feed_developments,
    feed_topic,
    feed_topics,
    last_news,
    scheduled_after,
    scheduled_between,
)
from timeline.selectors.log import (
    MAX_EVENTS_LIMIT,
    MAX_POSITION,
    events_after,
    latest_change,
    latest_position,
    log_head,
    log_stamp,
    public_author,
    public_role,
)
from timeline.selectors.shape import Bucket, Mark, TimelineShape, cache_key, timeline_shape
from timeline.selectors.timeline import (
    FILTER_TEXT_MAX,
    MAX_LIMIT,
    NO_FILTERS,
    QUERY_MAX,
    SearchHit,
    SearchResults,
    TimelineFilters,
    TimelinePage,
    awaiting_confirmation,
    developments_filtered,
    link_lists,
    search_results,
    shown_status_q,
    timeline_filters,
    timeline_page,
    upcoming_list,
    with_link_lists,
    with_links,
)
from timeline.selectors.topics import (
    StageProgress,
    TopicNotFound,
    TopicThread,
    topic_get,
    topic_list,
)

__all__ = [
    # the read models' choices, for callers that show them
    "Kind",
    "ShownStatus",
    "Stage",
    "Status",
    # timeline
    "FILTER_TEXT_MAX",
    "MAX_LIMIT",
    "NO_FILTERS",
    "QUERY_MAX",
    "SearchHit",
    "SearchResults",
    "TimelineFilters",
    "TimelinePage",
    "awaiting_confirmation",
    "developments_filtered",
    "link_lists",
    "search_results",
    "shown_status_q",
    "timeline_filters",
    "timeline_page",
    "upcoming_list",
    "with_link_lists",
    "with_links",
    # developments
    "Change",
    "HistoryEntry",
    "action_label",
    "development_get",
    "development_history",
    # topics
    "StageProgress",
    "TopicNotFound",
    "TopicThread",
    "topic_get",
    "topic_list",
    # log
    "MAX_EVENTS_LIMIT",
    "MAX_POSITION",
    "events_after",
    "latest_change",
    "latest_position",
    "log_head",
    "log_stamp",
    "public_author",
    "public_role",
    # shape
    "Bucket",
    "Mark",
    "TimelineShape",
    "cache_key",
    "timeline_shape",
    # feeds
    "DevelopmentChange",
    "News",
    "calendar_developments",
    "calendar_sequences",
    "changes_between",
    "feed_developments",
    "feed_topic",
    "feed_topics",
    "last_news",
    "scheduled_between",
    "scheduled_after",
    "dated_between",
]
