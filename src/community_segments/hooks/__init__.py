"""Hook specifications (pluggy project ``community_segments``) and the plugin manager.

Third-party plugins register through the entry-point group ``community_segments``;
the built-in field providers are registered the same way, as plain plugins.
"""

from __future__ import annotations

import pluggy

PROJECT = "community_segments"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


class SegmentsSpec:
    """The hooks a plugin may implement."""

    @hookspec
    def segments_filter_fields(self, host):
        """Return the filter fields this plugin contributes.

        :param host: the :class:`~community_segments.host.Host` being set up: its
            ``name`` ("demo", "flaskbb", "generic"...), its ``user_model`` and ``db``.
        :return: a list of :class:`~community_segments.fields.FilterField`.

        Example::

            @hookimpl
            def segments_filter_fields(host):
                User = host.user_model
                return [FilterField(key="job_title", label="Job title",
                                    type="text", column=User.job_title)]
        """

    @hookspec
    def segments_default_segments(self, host):
        """Return segment definitions to create on first install.

        :param host: the host being set up.
        :return: a list of dicts with ``title``, ``criteria`` and optionally
            ``description`` and ``group`` (a group name, created when missing).
        """


def make_plugin_manager(plugins=(), *, entry_points: bool = True) -> pluggy.PluginManager:
    """A plugin manager with our hookspecs, ``plugins`` and the installed entry points."""
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(SegmentsSpec)
    for plugin in plugins:
        name = getattr(plugin, "__name__", None) or type(plugin).__name__
        if not pm.is_registered(plugin):
            pm.register(plugin, name=name)
    if entry_points:
        pm.load_setuptools_entrypoints(PROJECT)
    return pm


def provider_results(pm: pluggy.PluginManager, hook_name: str, **kwargs):
    """Call one hook per plugin, yielding ``(plugin_name, result)`` so results keep their source."""
    hook = getattr(pm.hook, hook_name)
    for impl in reversed(hook.get_hookimpls()):
        result = impl.function(**{k: kwargs[k] for k in impl.argnames})
        if result:
            yield impl.plugin_name, result
