// Live segment and cost counter for SMS templates. The server does the counting
// (the same code that bills), so this file only sends the text and shows the answer.
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }
  // The variables of the chosen kind (rendered by the server for every kind; shown for the current one).
  ready(function () {
    var holder = document.getElementById("template-variables");
    var kind = document.getElementById("id_kind");
    if (!holder || !kind) return;
    var tables = JSON.parse(holder.dataset.tables || "{}");
    function show() {
      if (tables[kind.value]) holder.innerHTML = tables[kind.value];
    }
    kind.addEventListener("change", show);
    show();
  });
  ready(function () {
    var box = document.getElementById("sms-counter");
    var body = document.getElementById("id_body");
    var channel = document.getElementById("id_channel");
    var kind = document.getElementById("id_kind");
    var token = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (!box || !body || !channel) return;
    var timer = null;
    var sequence = 0;

    function line(cls, text) {
      var p = document.createElement("p");
      p.className = cls;
      p.textContent = text;
      return p;
    }

    function render(data) {
      box.textContent = "";
      if (data.summary) box.appendChild(line("sms-summary", data.summary));
      if (data.warning) box.appendChild(line("sms-warning", data.warning));
      if (data.error) box.appendChild(line("sms-error", data.error));
      if (data.text) {
        var pre = document.createElement("pre");
        pre.className = "sms-text";
        pre.textContent = data.text;
        box.appendChild(pre);
      }
    }

    function update() {
      if (channel.value !== "sms") {
        box.closest(".form-row") && (box.closest(".form-row").style.display = "none");
        return;
      }
      box.closest(".form-row") && (box.closest(".form-row").style.display = "");
      var mine = ++sequence;
      fetch(box.dataset.url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": token ? token.value : "" },
        body: JSON.stringify({ body: body.value, kind: kind ? kind.value : "" }),
      })
        .then(function (r) { return r.json(); })
        .then(function (data) { if (mine === sequence) render(data); })
        .catch(function () { /* the next keystroke tries again */ });
    }

    function schedule() {
      clearTimeout(timer);
      timer = setTimeout(update, 250);
    }
    body.addEventListener("input", schedule);
    channel.addEventListener("change", update);
    if (kind) kind.addEventListener("input", schedule);
    update();
  });
})();
