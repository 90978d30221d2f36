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
