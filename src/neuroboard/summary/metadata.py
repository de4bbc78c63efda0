"""The SummaryMetadata every kind attaches: which plugin reads a value, and how to show it."""

from __future__ import annotations

from neuroboard.format.codec import SummaryMetadata

__all__ = ["plugin_metadata"]


def plugin_metadata(
    plugin_name: str,
    content: bytes = b"",
    display_name: str | None = None,
    description: str | None = None,
) -> SummaryMetadata:
    """Return metadata naming the plugin that reads a value, with its plugin-specific ``content``.

    >>> plugin_metadata("scalars", display_name="Loss").plugin_data.plugin_name
    'scalars'
    """
    return SummaryMetadata(
        display_name=display_name or "",
        summary_description=description or "",
        plugin_data=SummaryMetadata.PluginData(plugin_name=plugin_name, content=content),
    )
