// Keyboard shortcuts for the study pages; every vote still goes through the plain HTML form.
(function () {
  "use strict";
  const form = document.querySelector("form.vote");
  const skip = document.querySelector("form.skip");
  if (!form) return;
  const items = Array.from(form.querySelectorAll(".item"));
  let current = 0;
  function focusItem(index) {
    if (!items.length) return;
    current = Math.max(0, Math.min(items.length - 1, index));
    items.forEach((item, i) => item.classList.toggle("current", i === current));
    items[current].scrollIntoView({ block: "nearest" });
  }
  function choose(item, value) {
    item.querySelector(`input[value="${value}"]`).checked = true;
  }
  items.forEach((item, i) => item.addEventListener("click", () => focusItem(i)));
  focusItem(0);
  document.addEventListener("keydown", (event) => {
    const target = event.target;
    if (target.matches("textarea, select, input[type=text]")) {
      if (event.key === "Escape") target.blur();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const key = event.key;
    if (key === "Enter") {
      event.preventDefault();
      form.requestSubmit();
      return;
    }
    if (key === "s" && skip) {
      event.preventDefault();
      skip.requestSubmit();
      return;
    }
    if (form.dataset.kind === "pairwise") {
      const radio = form.querySelector(`input[name=choice][value="${key}"]`);
      if (radio) {
        radio.checked = true;
        event.preventDefault();
      }
      return;
    }
    const item = items[current];
    if (!item) return;
    if (key === "j" || key === "ArrowDown") focusItem(current + 1);
    else if (key === "k" || key === "ArrowUp") focusItem(current - 1);
    else if (key === "a") {
      choose(item, "approve");
      focusItem(current + 1);
    } else if (key === "r") choose(item, "reject");
    else if (/^[1-9]$/.test(key)) {
      const select = item.querySelector("select");
      if (Number(key) < select.options.length) {
        choose(item, "reject");
        select.selectedIndex = Number(key);
        focusItem(current + 1);
      }
    } else return;
    event.preventDefault();
  });
})();
