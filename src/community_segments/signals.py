"""Named blinker signals: our lifecycle events, and the shared campaign-audience names.

Every signal lives in blinker's default namespace, so ``blinker.signal(name)`` anywhere
is the same object. Lifecycle signals are sent after the change is committed, with a
snapshot of the segment as sender (``id``, ``title``...; never an ORM object) and keyword
data that is plain values.
"""

from __future__ import annotations

import blinker

segment_created = blinker.signal("community-segments.segment-created", doc="""
A segment was created and committed. Sender: the segment snapshot;
kwargs: ``segment_id``, ``title``, ``version``.
""")
segment_updated = blinker.signal("community-segments.segment-updated", doc="""
A segment was changed and committed. Sender: the segment snapshot;
kwargs: ``segment_id``, ``title``, ``version``.
""")
segment_deleted = blinker.signal("community-segments.segment-deleted", doc="""
A segment was deleted and committed. Sender: the segment snapshot;
kwargs: ``segment_id``, ``title``.
""")

# Shared with any campaign module through blinker's default namespace, so neither side
# imports the other.
collect_audiences = blinker.signal("campaigns.collect-audiences", doc="""
Sent by a campaign module; each receiver returns a list of audiences
(dicts with ``id``, ``label``, ``description``, ``count``).
""")
resolve_audience = blinker.signal("campaigns.resolve-audience", doc="""
Sent by a campaign module with ``audience_id=...``; the receiver that owns the id returns
an iterable of recipients (dicts with ``id``, ``email``, ``name`` and personalisation
fields) streamed in batches; the others return None.
""")
audience_usage = blinker.signal("campaigns.audience-usage", doc="""
Sent by this plugin with ``audience_id=...`` (``segment:<id>``) before a segment is
deleted and for its "Used by" list; campaign modules return a list of short strings
describing where they use that audience (``"Campaign 'Welcome' (scheduled)"``).
""")
audience_groups = blinker.signal("campaigns.audience-groups", doc="""
Sent by a campaign module to group its audience menu; each receiver returns a dict
mapping audience ids to a group name (segments: their segment group), leaving out the
ungrouped ones.
""")
compose_url = blinker.signal("campaigns.compose-url", doc="""
Sent by community-segments with ``audience_id=...`` (``segment:<id>``); a campaign module
returns the URL of its form for a new campaign to that audience, preselected. The
segment's page offers "Email this segment" only when one does.
""")

# Membership changes found by ``segments refresh`` (community_segments.history), sent
# after its commit.
members_entered = blinker.signal("community-segments.members-entered", doc="""
Members entered a segment since the previous refresh. Sender: the segment snapshot;
kwargs: ``segment_id``, ``member_ids`` (a list of at most 1000 ids; a larger change is
several sends) and ``at`` (the refresh time, UTC). A segment's first refresh, and the
first after its criteria changed, is a baseline and sends nothing.
""")
members_left = blinker.signal("community-segments.members-left", doc="""
Members left a segment since the previous refresh. Sender: the segment snapshot;
kwargs: ``segment_id``, ``member_ids`` (at most 1000 ids a send) and ``at`` (UTC).
""")
