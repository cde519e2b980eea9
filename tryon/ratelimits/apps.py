from django.apps import AppConfig


class RateLimitsConfig(AppConfig):
    name = "tryon.ratelimits"
    label = "ratelimits"
    verbose_name = "Rate limits"
