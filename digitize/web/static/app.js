// digitize counter page: evidence boxes, zoom, page turning and review keys. No framework.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // evidence boxes are positioned from their data (inline styles are not allowed by the CSP)
  document.querySelectorAll(".evidence").forEach((el) => {
    const [l, t, w, h] = el.dataset.box.split(",").map(Number);
    Object.assign(el.style, { left: l + "%", top: t + "%", width: w + "%", height: h + "%" });
  });
  // hovering a field's row marks its box on the page
  document.querySelectorAll(".fields tr[data-field]").forEach((row) => {
    const boxes = document.querySelectorAll(`.evidence[data-field="${row.dataset.field}"]`);
    row.addEventListener("mouseenter", () => boxes.forEach((b) => b.classList.add("active")));
    row.addEventListener("mouseleave", () => boxes.forEach((b) => b.classList.remove("active")));
  });
  let zoom = 100;
  document.querySelectorAll("[data-zoom]").forEach((b) => b.addEventListener("click", () => {
    zoom = Math.min(300, Math.max(50, zoom + 25 * Number(b.dataset.zoom)));
    document.querySelectorAll(".sheet img").forEach((img) => { img.style.width = zoom + "%"; });
    document.querySelectorAll(".sheet").forEach((s) => { s.style.width = "100%"; });
  }));
  const pages = [...document.querySelectorAll("figure.page")];
  let current = 0;
  document.querySelectorAll("[data-page]").forEach((b) => b.addEventListener("click", () => {
    pages[current].classList.add("hidden");
    current = Math.min(pages.length - 1, Math.max(0, current + Number(b.dataset.page)));
    pages[current].classList.remove("hidden");
  }));
  // review: J/K move between items, Alt+A accepts the focused one
  const items = [...document.querySelectorAll(".review-item")];
  if (items.length) {
    let at = 0;
    const focus = (i) => { at = Math.min(items.length - 1, Math.max(0, i)); items[at].focus(); };
    document.addEventListener("keydown", (e) => {
      if (e.target.tagName === "INPUT" && !e.altKey) return;
      if (e.key === "j") focus(at + 1);
      else if (e.key === "k") focus(at - 1);
      else if (e.altKey && (e.key === "a" || e.key === "A")) {
        e.preventDefault();
        items[at].querySelector("button.accept").click();
      }
    });
    items.forEach((el, i) => el.addEventListener("focusin", () => { at = i; }));
  }
});
