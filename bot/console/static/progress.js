// The progress page follows the broadcast: it asks for the counters every 2 seconds
// until everything has gone (or the broadcast was stopped).
document.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("progress");
  if (!box) return;
  const set = (selector, value) => {
    const el = box.querySelector(selector);
    if (el) el.textContent = value;
  };
  async function poll() {
    let data;
    try {
      const response = await fetch(box.dataset.url, { credentials: "same-origin" });
      if (!response.ok) throw new Error(response.status);
      data = await response.json();
    } catch (error) {
      setTimeout(poll, 5000);
      return;
    }
    if (data.state !== box.dataset.state) {   // planned or stopped meanwhile: the page says so
      window.location.reload();
      return;
    }
    document.getElementById("bar").value = data.percent;
    set("#percent", data.percent);
    set("#finished", data.finished);
    set("#total", data.total);
    for (const [state, n] of Object.entries(data.states)) set(`[data-state="${state}"]`, n);
    for (const channel of ["zalo", "zns", "sms"]) set(`[data-channel="${channel}"]`, data.channels[channel] || 0);
    box.dataset.done = data.done ? "1" : "";
    if (data.done) {
      const cancel = document.getElementById("cancel-form");
      if (cancel) cancel.hidden = true;
    } else {
      setTimeout(poll, 2000);
    }
  }
  poll();
});
