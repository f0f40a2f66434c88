"""The Python client of the OVOP Exchange Hub's API (needs only requests and Authlib).

    from ovop_hub_client import HubClient

    with HubClient("https://hub.example.org", "vn-0123456789abcdef", client_secret="...") as hub:
        print(hub.get("/api/v1/whoami").json())
"""
from .batches import BatchReport, send_file
from .client import HubAuthError, HubClient, load_private_key
from .feed import FeedFollower
from .offline import offline_validator

__all__ = ["HubClient", "HubAuthError", "load_private_key", "send_file", "BatchReport", "FeedFollower",
           "offline_validator"]
__version__ = "0.1.0"
