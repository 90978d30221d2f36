"""Hook specifications (pluggy project ``community_segments``) and the plugin manager.

Third-party plugins register through the entry-point group ``community_segments``;
the built-in field providers are registered the same way, as plain plugins.
"""

from __future__ import annotations

import difflib
import logging

import pluggy

from ..errors import PluginError, SegmentsError

PROJECT = "community_segments"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)
log = logging.getLogger("community_segments")


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
    check_pending(pm)
    return pm


def check_pending(pm: pluggy.PluginManager) -> None:
    """A hook implementation no hookspec matches (a typo) stops start-up, naming it.

    Without this pluggy keeps it silently and the plugin contributes nothing.
    """
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(_pending_message(pm, exc)) from None


def _pending_message(pm: pluggy.PluginManager, exc: pluggy.PluginValidationError) -> str:
    known = [name for name in dir(SegmentsSpec) if name.startswith("segments_")]
    for name, caller in vars(pm.hook).items():
        if caller.spec is None and caller.get_hookimpls():
            plugin = caller.get_hookimpls()[0].plugin_name
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            return (f"plugin {plugin!r} implements {name!r}, which is not a hook of "
                    f"{PROJECT}{hint}; hooks: {', '.join(known)}")
    return str(exc)


def provider_results(pm: pluggy.PluginManager, hook_name: str,
                     failures: dict[str, str] | None = None, **kwargs):
    """Call one hook per plugin, yielding ``(plugin_name, result)`` so results keep their source.

    With ``failures``, a plugin whose hook raises is logged and recorded there
    (plugin name -> reason) and the others still answer: one broken plugin must not
    take the host down. Our own errors (a field defined wrongly) always propagate.
    """
    hook = getattr(pm.hook, hook_name)
    for impl in reversed(hook.get_hookimpls()):
        try:
            result = impl.function(**{k: kwargs[k] for k in impl.argnames})
        except SegmentsError:
            raise
        except Exception as exc:
            if failures is None:
                raise
            log.exception("plugin %r: %s failed; its results are unavailable",
                          impl.plugin_name, hook_name)
            failures[impl.plugin_name] = f"{hook_name} raised {type(exc).__name__}: {exc}"
            continue
        if result:
            yield impl.plugin_name, result
