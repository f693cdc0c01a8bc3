#!/usr/bin/env python3
"""The one-file upload script globusput replaces, reduced to its confidential-client path,
for the benchmark's fixed-cost baseline: one token request, one endpoint look-up, one PUT.

    original_script.py FILENAME DESTINATION COLLECTION_ID   (GLOBUS_CLIENT_ID/SECRET set)
"""

import os
import sys

import globus_sdk
import requests


def main() -> None:
    filename, destination, collection = sys.argv[1:4]
    client = globus_sdk.ConfidentialAppAuthClient(
        os.environ["GLOBUS_CLIENT_ID"], os.environ["GLOBUS_CLIENT_SECRET"]
    )
    https_scope = f"https://auth.globus.org/scopes/{collection}/https"
    tokens = client.oauth2_client_credentials_tokens(
        [https_scope, "urn:globus:auth:scope:transfer.api.globus.org:all"]
    ).by_resource_server
    transfer = globus_sdk.TransferClient(
        authorizer=globus_sdk.AccessTokenAuthorizer(
            tokens["transfer.api.globus.org"]["access_token"]
        )
    )
    base = transfer.get_endpoint(collection)["https_server"]
    url = base + destination + os.path.basename(filename)
    with open(filename, "rb") as stream:
        requests.put(
            url,
            data=stream,
            headers={"Authorization": f"Bearer {tokens[collection]['access_token']}"},
            verify=os.environ.get("GLOBUS_SDK_VERIFY_SSL", True),
        )


if __name__ == "__main__":
    main()
