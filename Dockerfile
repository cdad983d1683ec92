# coachbot: a slim, non-root image of `coachbot serve`.
#   docker build -t coachbot .
#   docker run --env-file .env -p 3978:3978 coachbot
FROM python:3.12-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
# Dependencies first (pinned, without the test tools), so code changes don't reinstall them.
COPY requirements.prod.lock ./
RUN python -m venv /venv && /venv/bin/pip install -r requirements.prod.lock
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY flows ./flows
COPY storage ./storage
RUN /venv/bin/pip install --no-deps .

FROM python:3.12-slim
RUN useradd --system --uid 10001 --create-home --home-dir /app coachbot
COPY --from=build /venv /venv
WORKDIR /app
ENV PATH=/venv/bin:$PATH PYTHONUNBUFFERED=1 COACHBOT_LOG_FORMAT=json
USER coachbot
EXPOSE 3978
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
    CMD python -c "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:3978/healthz', timeout=2).status != 200)"
CMD ["coachbot", "serve", "--host", "0.0.0.0", "--port", "3978"]
