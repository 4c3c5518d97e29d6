"""Notifications: in-app inbox, e-mail, reminders, signed webhooks and the calendar feed (M9)."""
