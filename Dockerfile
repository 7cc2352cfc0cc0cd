# Error Surface Lab, self-hosted: one Streamlit process per container.
#   docker build -t error-surface-lab .
#   docker run --rm -p 8501:8501 error-surface-lab        # http://localhost:8501
# Several containers behind a sticky proxy: docs/HOSTING.md and deploy/nginx.conf.template.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    NUMBA_CACHE_DIR=/home/app/.cache/numba

RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin app
WORKDIR /app

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY --chown=app:app . .
USER 10001

# Compile the engine and the typed-formula evaluator once at build time into numba's on-disk
# cache. The server (lab.serve) also warms up in the background as it starts: loads them (or
# compiles them, when the cache does not fit the host's CPU) so the first student does not wait.
RUN python -m lab.serve --warm-only

EXPOSE 8501
# The slim image has no curl: Python asks Streamlit's health endpoint (non-zero exit if not 200).
HEALTHCHECK --interval=30s --timeout=5s --start-period=40s --retries=3 \
    CMD ["python", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4)"]

CMD ["python", "-m", "lab.serve", "app.py", "--server.address", "0.0.0.0", "--server.port", "8501", "--server.headless", "true", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
