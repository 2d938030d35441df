"""moto (DynamoDB + S3) served single-threaded on 127.0.0.1.

The stock moto_server runs werkzeug threaded, and moto's backends take no locks: two concurrent
conditional DynamoDB writes can both succeed, which would hide lease-fencing bugs. One thread
serialises requests, which is what the GIL did anyway.

Usage: python moto_server.py PORT
"""
import sys

from moto.server import DomainDispatcherApplication, create_backend_app, MotoRequestHandler
from werkzeug.serving import run_simple

port = int(sys.argv[1])
app = DomainDispatcherApplication(create_backend_app)
run_simple("127.0.0.1", port, app, threaded=False, request_handler=MotoRequestHandler)
