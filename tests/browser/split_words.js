/* See test_exam_tools.SPLIT_WORDS: the words split across two lines that would fit whole on a
   line of the page's column. */
(() => {
  const found = [];
  const walker = document.createTreeWalker(document.querySelector("main"), NodeFilter.SHOW_TEXT);
  let node;
  while ((node = walker.nextNode())) {
    const parent = node.parentElement;
    if (!parent || parent.closest(".visually-hidden, [hidden], details:not([open]) > :not(summary)")) continue;
    const style = getComputedStyle(parent);
    if (style.display === "none" || style.visibility === "hidden") continue;
    const main = document.querySelector("main"), mainStyle = getComputedStyle(main);
    const width = main.clientWidth - parseFloat(mainStyle.paddingLeft) - parseFloat(mainStyle.paddingRight);
    const re = /[A-Za-z\u00C0-\u024F\u2019']+/g;
    let m;
    while ((m = re.exec(node.data))) {
      const range = document.createRange();
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      const tops = new Set(Array.from(range.getClientRects()).filter(r => r.width > 0).map(r => Math.round(r.top)));
      if (tops.size < 2) continue;
      const probe = document.createElement("span");
      probe.textContent = m[0];
      probe.style.whiteSpace = "nowrap";
      parent.appendChild(probe);
      const own = probe.getBoundingClientRect().width;
      probe.remove();
      if (own <= width) found.push(m[0] + " (" + Math.round(own) + " in " + Math.round(width) + " px)");
    }
  }
  return found;
})()
