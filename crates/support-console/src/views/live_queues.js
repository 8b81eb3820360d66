// Live queue depths on the sync page: every few seconds, the counts from /sync/queues.json are
// written into the queue table's cells (data-queue, data-field); the status line says when.
// Without this script the page shows the counts of its own loading.
(() => {
  const table = document.querySelector('[data-live-queues]');
  if (!table) return;
  const status = document.querySelector('[data-live-status]');
  const every = Number(table.dataset.liveQueues) * 1000;
  const refresh = async () => {
    try {
      const answer = await fetch('/sync/queues.json', { credentials: 'same-origin', cache: 'no-store' });
      if (!answer.ok) throw new Error(String(answer.status));
      const { queues } = await answer.json();
      for (const queue of queues) {
        for (const field of ['messages', 'consumers']) {
          const cell = table.querySelector(`[data-queue="${CSS.escape(queue.name)}"][data-field="${field}"]`);
          if (cell && typeof queue[field] === 'number') cell.textContent = String(queue[field]);
        }
      }
      if (status) status.textContent = `${status.dataset.updated} ${new Date().toLocaleTimeString()}`;
    } catch {
      if (status) status.textContent = status.dataset.failed;
    }
  };
  refresh();
  setInterval(refresh, every);
})();
