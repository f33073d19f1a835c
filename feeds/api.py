from ninja import Router

router = Router(tags=["digests and subscriptions"])
