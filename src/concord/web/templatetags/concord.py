from django import template

from concord.services import labels

register = template.Library()


@register.filter
def kind_label(kind: str) -> str:
    return labels.kind_label(kind)


@register.filter
def position_label(kind: str) -> str:
    return labels.position_label(kind)


@register.filter
def event_label(tag: str) -> str:
    return labels.event_label(tag)
