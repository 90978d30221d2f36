"""A third-party field for community-segments in FlaskBB: when a member last posted."""

import sqlalchemy as sa
from pluggy import HookimplMarker

hookimpl = HookimplMarker("community_segments")


@hookimpl
def segments_filter_fields(host):
    if host.name != "flaskbb":
        return []
    from flaskbb.forum.models import Post

    from community_segments.fields import FilterField

    User = host.user_model
    last_posted = (sa.select(sa.func.max(Post.date_created))
                   .where(Post.user_id == User.id).scalar_subquery())
    return [FilterField(key="last_posted", label="Last posted", type="date",
                        category="Engagement", column=last_posted)]
