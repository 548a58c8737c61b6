// The composer's live counter: every change of the text asks the server's counter
// (the product's own, messages_vi/gsm.py) for the SMS form and its segments.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("composer");
  if (!form) return;
  const text = document.getElementById("text");
  const sms = document.getElementById("sms_text");
  const csrf = form.querySelector("input[name=csrf_token]").value;
  const show = (id, value) => { document.getElementById(id).textContent = value; };
  let timer = null;
  let asked = 0;

  async function refresh() {
    const mine = ++asked;
    const body = new FormData();
    body.append("text", text.value);
    body.append("sms_text", sms.dataset.edited ? sms.value : "");
    const response = await fetch(form.dataset.countUrl, {
      method: "POST", body, headers: { "X-CSRFToken": csrf }, credentials: "same-origin" });
    if (!response.ok || mine !== asked) return;   // a newer question is on its way
    const c = await response.json();
    if (!sms.dataset.edited) sms.value = c.sms_text;
    show("zalo-chars", c.zalo_chars);
    show("sms-units", c.units);
    show("sms-encoding", c.encoding);
    show("sms-per", c.per_segment);
    show("sms-segments", c.segments);
    show("sms-personal", c.personal ? " (dài nhất)" : "");
    show("sms-warning-n", c.segments);
    document.getElementById("sms-warning").hidden = !c.over;
  }
  function soon() { clearTimeout(timer); timer = setTimeout(refresh, 150); }

  text.addEventListener("input", soon);
  sms.addEventListener("input", () => { sms.dataset.edited = sms.value.trim() ? "1" : ""; soon(); });
  document.getElementById("sms-regenerate").addEventListener("click", () => {
    sms.dataset.edited = ""; refresh();
  });
  document.querySelectorAll("[data-insert]").forEach((button) => {
    button.addEventListener("click", () => {
      const at = text.selectionStart ?? text.value.length;
      text.value = text.value.slice(0, at) + button.dataset.insert + text.value.slice(text.selectionEnd ?? at);
      text.focus();
      soon();
    });
  });
});
