#!/usr/bin/env python3
"""The floor of globusput's mandated HTTP stack: bare ``requests`` PUTs from a thread pool,
token fetched beforehand, no retries, hashing, checks or reporting. If this alone is far from
curl, no client built on requests can close the gap.

    requests_floor.py HEADER_FILE CA_FILE BASE_URL CONCURRENCY FOLDER [REL...]
"""

import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter


def main() -> None:
    header_file, ca, base, concurrency, folder, *files = sys.argv[1:]
    name, _, value = Path(header_file).read_text().strip().partition(": ")
    session = requests.Session()
    session.mount("https://", HTTPAdapter(pool_maxsize=int(concurrency)))

    def put(rel: str) -> None:
        with open(Path(folder) / rel, "rb") as stream:
            session.put(
                f"{base}/bench/{rel}", data=stream, headers={name: value}, verify=ca
            ).raise_for_status()

    with ThreadPoolExecutor(int(concurrency)) as pool:
        list(pool.map(put, files))


if __name__ == "__main__":
    main()
