"""Notifications: the in-app centre, e-mail and team-chat robots, fed by the outbox (service.core.events).

``dispatch`` turns events into notifications and deliveries, ``mail`` / ``webhooks`` are the two outgoing channels,
``schedule`` publishes the events no click causes (reminders, releases, digests); ``workers/notify.py`` runs them.
"""
